export const main = async (_argv: readonly string[]): Promise<number> => {
  console.log('faultline: not yet');
  return 0;
};

/**
 * Concise log lines on stdout: `<iso time> <node id> <message>`. The time is
 * the host's real clock (not the skewable node clock) so lines from
 * different nodes interleave truthfully in faultline's run folder.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export const createLogger = (id: string, write: (line: string) => void = (l) => process.stdout.write(l)): Logger => {
  const line = (level: string, message: string) =>
    write(`${new Date().toISOString()} ${id} ${level === 'info' ? '' : `${level} `}${message}\n`);
  return {
    info: (m) => line('info', m),
    warn: (m) => line('WARN', m),
  };
};

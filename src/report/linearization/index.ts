export {
  buildVizData,
  type LinearizationVizInput,
  partitionViz,
  type VizData,
  type VizOp,
  type VizPartition,
  type VizStep,
} from './data.ts';
export { renderLinearizationHtml, renderLinearizationSection } from './render.ts';

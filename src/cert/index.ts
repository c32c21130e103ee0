/**
 * The certifier's public API: the only module that code outside src/cert imports
 * (enforced by src/architecture.test.ts). Pure TypeScript, no DOM, React, TF.js or Node.
 *
 *   model IR        NetworkIR and its layers, validateNetwork, compileNetwork, forward
 *   certification   prepareSample, certifyThreat / certifyFrames, findBound (+ async forms),
 *                   splitLeaves (the parts of an input split)
 *   threat models   Threat, parseThreat, Clip; margin checks; bound searches
 *   methods         METHODS (certrnn, deepz, interval, tight), DEFAULT_METHODS, their plane transformers
 *   zonotopes       the domain itself, projections for the views, traces
 *   evaluation      summaries of data-set runs; limits (the frame cap and its estimate)
 *   looseness       where a certificate's looseness comes from (its loss per symbol origin)
 *   utilities       Rng, random networks (benchmarks, self-check, tests)
 *   layers          the layers written once (./layers) and the domain interface they use
 */
export type { PlaneRecord, Applied } from './apply.ts'
export type {
  AsyncOptions,
  BoundOptions,
  BoundRequest,
  BoundResult,
  CertifyOptions,
  CertifyResult,
  PreparedSample,
  Provenance,
  RegionResult,
  SampleInput,
} from './certify.ts'
export {
  argmax,
  CancelledError,
  certifyFrames,
  certifyThreat,
  certifyThreatAsync,
  findBound,
  findBoundAsync,
  inputFrames,
  prepareSample,
  reshapeNote,
  splitLeaves,
  verifiedAccuracy,
} from './certify.ts'
export type { SplitLeaf } from './split.ts'
export type { AccuracyPoint, EvalRow, MethodSummary } from './evaluation.ts'
export { accuracyCurve, curveRecords, epsGrid, r6, rowRecord, summarize, summaryRecord } from './evaluation.ts'
export { geomean, mean, median, pearson, populationStd, ranks, ratio, sampleStd, smallestIndices, spearman, topOverlap } from './stats.ts'
export type { Looseness, LoosenessOptions, LoosenessPart, OriginKind, SymbolOrigin } from './looseness.ts'
export { looseness, originName } from './looseness.ts'
export type { CostOptions, CostShape, CostThreat, SequenceCheck } from './limits.ts'
export { checkSequenceCost, costShape, estimateSeconds, MAX_FRAMES, roughDuration, sequenceCostProblem, SequenceTooLongError } from './limits.ts'
export type {
  BatchNormLayer,
  BidirectionalLayer,
  Conv1dLayer,
  DenseLayer,
  DroppedLayer,
  EmbeddingLayer,
  FlattenLayer,
  GruLayer,
  InputSpec,
  LayerIR,
  LstmLayer,
  MaskingLayer,
  Matrix,
  MergeMode,
  NetworkIR,
  PoolLayer,
  RecurrentLayer,
  SimpleRnnLayer,
} from './network.ts'
export { convGeometry, isRecurrent, transpose, UnsupportedModelError, validateNetwork } from './network.ts'
export type { Projection, VarSelector } from './projection.ts'
export { checkSelector, insideConvexPolygon, projectVariables, selectorRow, selectValue } from './projection.ts'
export type { CellType, ExtraLayer, RandomNetworkSpec } from './randomNetwork.ts'
export { randomFrames, randomNetwork } from './randomNetwork.ts'
export { hashSeed, Rng } from './rng.ts'
export type { CompiledNetwork, ConcreteEntry, ConcreteRun } from './runtime.ts'
export { abstractForward, checkFrames, cleanHooks, compileNetwork, embedTokens, float64Family, forward, forwardFrom, tokenMasks } from './runtime.ts'
export type { WeightFamily } from './stages.ts'
export { stageSpecs } from './stages.ts'
export type { FastSearchOptions, MarginFn, SearchKind, SearchResult, SearchSteps } from './search.ts'
export { fastSearch, MAX_SEARCH_EPS, maxEpsProblem, paperSearch, runSearch, SEARCH_RESOLUTION, SEARCHES, searchSteps } from './search.ts'
export type { SelfCheck } from './selfCheck.ts'
export { selfCheck } from './selfCheck.ts'
export type { Clip, FrameBox, Threat } from './threat.ts'
export { checkClip, checkEps, inputRegion, regionBoxes, parseThreat, perturbedFrames, threatLabel } from './threat.ts'
export type { MarginCheck, Verdict } from './verify.ts'
export { MARGIN_CHECKS, verifyLabel, weakestClass } from './verify.ts'
export type { Box, Zonotope } from './zonotope.ts'
export { matMulRowMajor, productWork, SymbolSource, zonotopeBounds, zonotopeFromBox, zonotopeProject2d } from './zonotope.ts'
export type { TraceEntry, TraceOptions } from './domains/zonotope.ts'
export { AbstractContext } from './domains/zonotope.ts'
// methods and their transformers (the playground and the training planes draw them)
export type { Method, TransformerSet } from './transformers/index.ts'
export { DEFAULT_METHODS, METHOD_LABELS, METHOD_SHORT, METHODS, transformerSet } from './transformers/index.ts'
export type { BinaryKind, Plane, PlaneBox, TransformerKind, UnaryKind } from './transformers/plane.ts'
export { isUnaryKind, sigmoid, UNARY_KINDS } from './transformers/plane.ts'
export { relu } from './transformers/relu.ts'
export { hardSigmoid, hardSigmoidTanhCandidates, HARD_SIGMOID_KINKS, xHardSigmoidCandidates } from './transformers/hardSigmoid.ts'
export { sigmoidSlopePoints } from './transformers/sigmoid.ts'
export { sigmoidTanhCandidates } from './transformers/sigmoidTanh.ts'
export { tanhSlopePoints } from './transformers/tanh.ts'
export { xSigmoidCandidates } from './transformers/xSigmoid.ts'
// the layers, written once against the domain interface, and the float64 weights (the
// batched domain of src/attack and the TF.js domains of src/tf evaluate the same layers)
export type { Activation, Cell, CellProduct, DenseSpec, Direction, Domain, GruSpec, LstmSpec, PipelineHooks, RecurrentSpec, SimpleRnnSpec, Stage, StageSpec, StackHooks, StepMask, WeightOps } from './layers/index.ts'
export { boxMask, denseApply, keepsSequence, maskOfRows, prepareStages, recurrentCell, runDense, runPipeline, runStack, runStackInterleaved } from './layers/index.ts'
export type { ConcreteRecorder, Lin } from './domains/float64.ts'
export { affineFloat64, Float64Domain, float64Weights, linOf, PRODUCT, UNARY } from './domains/float64.ts'

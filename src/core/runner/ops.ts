/**
 * The TensorFlow ops the local runner executes: the op mappers of @tensorflow/tfjs-converter 4.22
 * (dist/operations/op_list/*: every `tfOpName`), minus what needs more than a kernel (control flow
 * over library functions, hash tables that need their init op, TF-DF), plus the ops the runner
 * rewrites or implements itself (variables, ParseExample). Checked before anything runs, so an op
 * the engine cannot run is reported with its node instead of failing half-way or answering wrong.
 */

/** Ops the runner rewrites before TensorFlow.js sees the graph (see graph.ts). */
export const REWRITTEN_OPS: ReadonlySet<string> = new Set([
  'VariableV2', 'Variable', 'VarHandleOp', 'ReadVariableOp', 'ResourceGather',
  'StatefulPartitionedCall', 'PartitionedCall', 'ParseExample', 'ParseExampleV2',
]);

/** Ops TensorFlow.js maps to kernels that do not need a library function or an init op. */
export const TFJS_OPS: ReadonlySet<string> = new Set([
  'Abs', 'Acos', 'Acosh', 'Add', 'AddN', 'AddV2', 'All', 'Any', 'ArgMax', 'ArgMin', 'Asin', 'Asinh', 'Atan',
  'Atan2', 'Atanh', 'AvgPool', 'AvgPool3D', 'BatchMatMul', 'BatchMatMulV2', 'BatchToSpaceND', 'BiasAdd',
  'Bincount', 'BitwiseAnd', 'BroadcastArgs', 'BroadcastTo', 'Cast', 'Ceil', 'ClipByValue', 'Complex',
  'ComplexAbs', 'Concat', 'ConcatV2', 'Const', 'Conv1D', 'Conv2D', 'Conv2DBackpropInput', 'Conv3D', 'Cos',
  'Cosh', 'CropAndResize', 'Cumprod', 'Cumsum', 'DenseBincount', 'DepthToSpace', 'DepthwiseConv2d',
  'DepthwiseConv2dNative', 'Dilation2D', 'Div', 'DivNoNan', 'Einsum', 'Elu', 'EmptyTensorList',
  'EnsureShape', 'Enter', 'Equal', 'Erf', 'EuclideanNorm', 'Exit', 'Exp', 'ExpandDims', 'Expm1', 'FFT',
  'FakeQuantWithMinMaxVars', 'Fill', 'Floor', 'FloorDiv', 'FloorMod', 'FusedBatchNorm', 'FusedBatchNormV2',
  'FusedBatchNormV3', 'FusedDepthwiseConv2dNative', 'Gather', 'GatherNd', 'GatherV2', 'Greater',
  'GreaterEqual', 'IFFT', 'IRFFT', 'Identity', 'IdentityN', 'Imag', 'ImageProjectiveTransformV3', 'IsFinite',
  'IsInf', 'IsNan', 'LRN', 'LeakyRelu', 'Less', 'LessEqual', 'LinSpace', 'ListDiff', 'Log', 'Log1p',
  'LogSoftmax', 'LogicalAnd', 'LogicalNot', 'LogicalOr', 'LoopCond', 'LowerBound', 'MatMul',
  'MatrixBandPart', 'Max', 'MaxPool', 'MaxPool3D', 'MaxPoolWithArgmax', 'Maximum', 'Mean', 'Merge', 'Min',
  'Minimum', 'MirrorPad', 'Mod', 'Mul', 'Multinomial', 'Neg', 'NextIteration', 'NoOp', 'NonMaxSuppressionV2',
  'NonMaxSuppressionV3', 'NonMaxSuppressionV4', 'NonMaxSuppressionV5', 'NotEqual', 'OneHot', 'Ones',
  'OnesLike', 'Pack', 'Pad', 'PadV2', 'Placeholder', 'PlaceholderWithDefault', 'Pow', 'Prelu', 'Print',
  'Prod', 'RFFT', 'RaggedGather', 'RaggedRange', 'RaggedTensorToTensor', 'RandomStandardNormal',
  'RandomUniform', 'RandomUniformInt', 'Range', 'Rank', 'Real', 'RealDiv', 'Reciprocal', 'Relu', 'Relu6',
  'Reshape', 'ResizeBilinear', 'ResizeNearestNeighbor', 'Reverse', 'ReverseV2', 'Round', 'Rsqrt',
  'ScatterNd', 'Select', 'SelectV2', 'Selu', 'Shape', 'ShapeN', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Size',
  'Slice', 'Snapshot', 'Softmax', 'Softplus', 'SpaceToBatchND', 'SparseFillEmptyRows', 'SparseReshape',
  'SparseSegmentMean', 'SparseSegmentSum', 'SparseToDense', 'Split', 'SplitV', 'Sqrt', 'Square',
  'SquaredDifference', 'Squeeze', 'StaticRegexReplace', 'StopGradient', 'StridedSlice', 'StringNGrams',
  'StringSplit', 'StringToHashBucketFast', 'Sub', 'Sum', 'Switch', 'Tan', 'Tanh', 'TensorArrayCloseV3',
  'TensorArrayConcatV3', 'TensorArrayGatherV3', 'TensorArrayReadV3', 'TensorArrayScatterV3',
  'TensorArraySizeV3', 'TensorArraySplitV3', 'TensorArrayV3', 'TensorArrayWriteV3', 'TensorListConcat',
  'TensorListConcatV2', 'TensorListFromTensor', 'TensorListGather', 'TensorListGetItem', 'TensorListLength',
  'TensorListPopBack', 'TensorListPushBack', 'TensorListReserve', 'TensorListResize', 'TensorListScatter',
  'TensorListScatterV2', 'TensorListSetItem', 'TensorListSplit', 'TensorListStack', 'TensorScatterUpdate',
  'Tile', 'TopKV2', 'Transpose', 'TruncatedNormal', 'Unique', 'UniqueV2', 'Unpack', 'UpperBound', 'Where',
  'Zeros', 'ZerosLike', '_FusedConv2D', '_FusedMatMul',
]);

/** Ops TensorFlow.js knows but the runner refuses, with the reason. */
export const REFUSED_OPS: Readonly<Record<string, string>> = {
  If: 'control flow over library functions (tf.cond in a TF2 graph) is not run by the local runner',
  StatelessIf: 'control flow over library functions (tf.cond in a TF2 graph) is not run by the local runner',
  While: 'control flow over library functions (tf.while_loop in a TF2 graph) is not run by the local runner',
  StatelessWhile: 'control flow over library functions (tf.while_loop in a TF2 graph) is not run by the local runner',
  HashTableV2: 'lookup tables need their initializer, which the local runner does not run',
  HashTable: 'lookup tables need their initializer, which the local runner does not run',
  LookupTableFindV2: 'lookup tables need their initializer, which the local runner does not run',
  LookupTableFind: 'lookup tables need their initializer, which the local runner does not run',
};

export function isSupportedOp(op: string): boolean {
  return TFJS_OPS.has(op) || REWRITTEN_OPS.has(op);
}

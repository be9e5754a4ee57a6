/**
 * The protobuf schema of the TensorFlow messages ServeLens reads: SavedModel and everything under
 * it (MetaGraphDef, SignatureDef, GraphDef, FunctionDefLibrary, SavedObjectGraph, ...), the
 * FingerprintDef of fingerprint.pb, and tf.Example for classify/regress requests.
 *
 * Written here from TensorFlow's public field numbers and built with protobufjs reflection
 * (`Root.fromJSON`), so no .proto files ship with the extension. Field names are TensorFlow's own
 * snake_case names, exactly as they appear in text format (saved_model.pbtxt), so a text-format
 * parser can look fields up by the names it reads. Every message uses proto3 semantics
 * (`edition: 'proto3'`): repeated scalars encode packed, absent scalars read as their default.
 *
 * 64-bit integers are always exact, never rounded, but come in more than one shape: `types.X.decode`
 * gives `Long` objects (protobufjs 8 depends on `long`); `decodeSavedModel` (savedmodel.ts
 * `createReader`) gives plain numbers when |v| < 2^53 and `Long` beyond; a text-format parser may
 * give numbers or decimal strings. Read them with `toNumber`/`toBigInt`/`toDecimal` below, which
 * accept every shape (the `Int64` type).
 * Unknown fields are skipped (not kept) when decoding. Strings are not UTF-8 validated (invalid
 * bytes read as U+FFFD), which is also what makes string decoding use Node's native path.
 */
import * as protobuf from 'protobufjs';

// ---------------------------------------------------------------------------------------------
// A small descriptor DSL: { field_name: [id, type, rule?] }, where type may be 'map<K,V>'.

type Rule = 'repeated';
type FieldTuple = readonly [id: number, type: string, rule?: Rule];

interface MessageJSON {
  edition: 'proto3';
  options: { features: { utf8_validation: 'NONE' } };
  fields: Record<string, protobuf.IField & { keyType?: string }>;
  oneofs?: Record<string, { oneof: string[] }>;
  nested?: Record<string, MessageJSON | EnumJSON>;
}
interface EnumJSON {
  values: Record<string, number>;
}

function message(
  fields: Record<string, FieldTuple>,
  extra: { oneofs?: Record<string, string[]>; nested?: Record<string, MessageJSON | EnumJSON> } = {},
): MessageJSON {
  const out: MessageJSON = { edition: 'proto3', options: NO_UTF8_CHECK, fields: {} };
  for (const [name, [id, type, rule]] of Object.entries(fields)) {
    const map = /^map<\s*(\w+)\s*,\s*([\w.]+)\s*>$/.exec(type);
    out.fields[name] = map
      ? { id, keyType: map[1]!, type: map[2]! }
      : rule
        ? { id, type, rule }
        : { id, type };
  }
  if (extra.oneofs) {
    out.oneofs = {};
    for (const [name, members] of Object.entries(extra.oneofs)) out.oneofs[name] = { oneof: members };
  }
  if (extra.nested) out.nested = extra.nested;
  return out;
}

function enumOf(values: Record<string, number>): EnumJSON {
  return { values };
}

const R: Rule = 'repeated';

/**
 * Strings are decoded without strict UTF-8 validation: invalid bytes become U+FFFD instead of
 * failing the whole model, and decoding uses Node's fast native UTF-8 path.
 */
const NO_UTF8_CHECK = { features: { utf8_validation: 'NONE' as const } };

// ---------------------------------------------------------------------------------------------
// DataType (tensorflow/core/framework/types.proto): every value, and each *_REF = value + 100.

const BASE_DTYPES: Record<string, number> = {
  DT_FLOAT: 1,
  DT_DOUBLE: 2,
  DT_INT32: 3,
  DT_UINT8: 4,
  DT_INT16: 5,
  DT_INT8: 6,
  DT_STRING: 7,
  DT_COMPLEX64: 8,
  DT_INT64: 9,
  DT_BOOL: 10,
  DT_QINT8: 11,
  DT_QUINT8: 12,
  DT_QINT32: 13,
  DT_BFLOAT16: 14,
  DT_QINT16: 15,
  DT_QUINT16: 16,
  DT_UINT16: 17,
  DT_COMPLEX128: 18,
  DT_HALF: 19,
  DT_RESOURCE: 20,
  DT_VARIANT: 21,
  DT_UINT32: 22,
  DT_UINT64: 23,
  DT_FLOAT8_E5M2: 24,
  DT_FLOAT8_E4M3FN: 25,
  DT_FLOAT8_E4M3FNUZ: 26,
  DT_FLOAT8_E4M3B11FNUZ: 27,
  DT_FLOAT8_E5M2FNUZ: 28,
  DT_INT4: 29,
  DT_UINT4: 30,
  DT_INT2: 31,
  DT_UINT2: 32,
};

const DATA_TYPE: Record<string, number> = { DT_INVALID: 0 };
for (const [name, value] of Object.entries(BASE_DTYPES)) DATA_TYPE[name] = value;
for (const [name, value] of Object.entries(BASE_DTYPES)) DATA_TYPE[`${name}_REF`] = value + 100;

/** DataType names by enum value ("DT_FLOAT" for 1, "DT_FLOAT_REF" for 101). */
export const DATA_TYPE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(DATA_TYPE).map(([name, value]) => [value, name]),
);
/** DataType values by name. */
export const DATA_TYPE_VALUES: ReadonlyMap<string, number> = new Map(Object.entries(DATA_TYPE));

/**
 * The TensorFlow name of a DataType value. An unset field (0 or absent) is "DT_INVALID"; a value
 * this schema does not know (a newer TensorFlow) reads as "DT_UNKNOWN_<n>" so it is never mistaken
 * for a known type.
 */
export function dtypeName(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return 'DT_INVALID';
  if (typeof value === 'string') return DATA_TYPE_VALUES.has(value) ? value : `DT_UNKNOWN_${value}`;
  return DATA_TYPE_NAMES.get(value) ?? `DT_UNKNOWN_${value}`;
}

// ---------------------------------------------------------------------------------------------
// The descriptor.

const tensorflow: Record<string, MessageJSON | EnumJSON> = {
  DataType: enumOf(DATA_TYPE),

  // saved_model.proto
  SavedModel: message({
    saved_model_schema_version: [1, 'int64'],
    meta_graphs: [2, 'MetaGraphDef', R],
  }),

  // meta_graph.proto
  MetaGraphDef: message(
    {
      meta_info_def: [1, 'MetaInfoDef'],
      graph_def: [2, 'GraphDef'],
      saver_def: [3, 'SaverDef'],
      collection_def: [4, 'map<string,CollectionDef>'],
      signature_def: [5, 'map<string,SignatureDef>'],
      asset_file_def: [6, 'AssetFileDef', R],
      object_graph_def: [7, 'SavedObjectGraph'],
    },
    {
      nested: {
        MetaInfoDef: message({
          meta_graph_version: [1, 'string'],
          stripped_op_list: [2, 'OpList'],
          any_info: [3, 'google.protobuf.Any'],
          tags: [4, 'string', R],
          tensorflow_version: [5, 'string'],
          tensorflow_git_version: [6, 'string'],
          stripped_default_attrs: [7, 'bool'],
          function_aliases: [8, 'map<string,string>'],
        }),
      },
    },
  ),
  CollectionDef: message(
    {
      node_list: [1, 'NodeList'],
      bytes_list: [2, 'BytesList'],
      int64_list: [3, 'Int64List'],
      float_list: [4, 'FloatList'],
      any_list: [5, 'AnyList'],
    },
    {
      oneofs: { kind: ['node_list', 'bytes_list', 'int64_list', 'float_list', 'any_list'] },
      nested: {
        NodeList: message({ value: [1, 'string', R] }),
        BytesList: message({ value: [1, 'bytes', R] }),
        Int64List: message({ value: [1, 'int64', R] }),
        FloatList: message({ value: [1, 'float', R] }),
        AnyList: message({ value: [1, 'google.protobuf.Any', R] }),
      },
    },
  ),
  TensorInfo: message(
    {
      name: [1, 'string'],
      coo_sparse: [4, 'CooSparse'],
      composite_tensor: [5, 'CompositeTensor'],
      dtype: [2, 'DataType'],
      tensor_shape: [3, 'TensorShapeProto'],
    },
    {
      oneofs: { encoding: ['name', 'coo_sparse', 'composite_tensor'] },
      nested: {
        CooSparse: message({
          values_tensor_name: [1, 'string'],
          indices_tensor_name: [2, 'string'],
          dense_shape_tensor_name: [3, 'string'],
        }),
        CompositeTensor: message({
          type_spec: [1, 'TypeSpecProto'],
          components: [2, 'TensorInfo', R],
        }),
      },
    },
  ),
  SignatureDef: message({
    inputs: [1, 'map<string,TensorInfo>'],
    outputs: [2, 'map<string,TensorInfo>'],
    method_name: [3, 'string'],
    defaults: [4, 'map<string,TensorProto>'],
  }),
  AssetFileDef: message({
    tensor_info: [1, 'TensorInfo'],
    filename: [2, 'string'],
  }),

  // saver.proto
  SaverDef: message(
    {
      filename_tensor_name: [1, 'string'],
      save_tensor_name: [2, 'string'],
      restore_op_name: [3, 'string'],
      max_to_keep: [4, 'int32'],
      sharded: [5, 'bool'],
      keep_checkpoint_every_n_hours: [6, 'float'],
      version: [7, 'CheckpointFormatVersion'],
    },
    { nested: { CheckpointFormatVersion: enumOf({ LEGACY: 0, V1: 1, V2: 2 }) } },
  ),

  // tensor_shape.proto
  TensorShapeProto: message(
    {
      dim: [2, 'Dim', R],
      unknown_rank: [3, 'bool'],
    },
    { nested: { Dim: message({ size: [1, 'int64'], name: [2, 'string'] }) } },
  ),

  // tensor.proto, resource_handle.proto
  TensorProto: message({
    dtype: [1, 'DataType'],
    tensor_shape: [2, 'TensorShapeProto'],
    version_number: [3, 'int32'],
    tensor_content: [4, 'bytes'],
    half_val: [13, 'int32', R],
    float_val: [5, 'float', R],
    double_val: [6, 'double', R],
    int_val: [7, 'int32', R],
    string_val: [8, 'bytes', R],
    scomplex_val: [9, 'float', R],
    int64_val: [10, 'int64', R],
    bool_val: [11, 'bool', R],
    dcomplex_val: [12, 'double', R],
    resource_handle_val: [14, 'ResourceHandleProto', R],
    variant_val: [15, 'VariantTensorDataProto', R],
    uint32_val: [16, 'uint32', R],
    uint64_val: [17, 'uint64', R],
    float8_val: [18, 'bytes'],
  }),
  VariantTensorDataProto: message({
    type_name: [1, 'string'],
    metadata: [2, 'bytes'],
    tensors: [3, 'TensorProto', R],
  }),
  ResourceHandleProto: message(
    {
      device: [1, 'string'],
      container: [2, 'string'],
      name: [3, 'string'],
      hash_code: [4, 'uint64'],
      maybe_type_name: [5, 'string'],
      dtypes_and_shapes: [6, 'DtypeAndShape', R],
    },
    { nested: { DtypeAndShape: message({ dtype: [1, 'DataType'], shape: [2, 'TensorShapeProto'] }) } },
  ),

  // graph.proto, node_def.proto, versions.proto, full_type.proto
  GraphDef: message({
    node: [1, 'NodeDef', R],
    versions: [4, 'VersionDef'],
    version: [3, 'int32'],
    library: [2, 'FunctionDefLibrary'],
  }),
  NodeDef: message(
    {
      name: [1, 'string'],
      op: [2, 'string'],
      input: [3, 'string', R],
      device: [4, 'string'],
      attr: [5, 'map<string,AttrValue>'],
      experimental_debug_info: [6, 'ExperimentalDebugInfo'],
      experimental_type: [7, 'FullTypeDef'],
    },
    {
      nested: {
        ExperimentalDebugInfo: message({
          original_node_names: [1, 'string', R],
          original_func_names: [2, 'string', R],
        }),
      },
    },
  ),
  VersionDef: message({
    producer: [1, 'int32'],
    min_consumer: [2, 'int32'],
    bad_consumers: [3, 'int32', R],
  }),
  // type_id is TensorFlow's FullTypeId enum; kept as its number here.
  FullTypeDef: message(
    {
      type_id: [1, 'int32'],
      args: [2, 'FullTypeDef', R],
      s: [3, 'string'],
      i: [4, 'int64'],
    },
    { oneofs: { attr: ['s', 'i'] } },
  ),

  // attr_value.proto
  AttrValue: message(
    {
      s: [2, 'bytes'],
      i: [3, 'int64'],
      f: [4, 'float'],
      b: [5, 'bool'],
      type: [6, 'DataType'],
      shape: [7, 'TensorShapeProto'],
      tensor: [8, 'TensorProto'],
      list: [1, 'ListValue'],
      func: [10, 'NameAttrList'],
      placeholder: [9, 'string'],
    },
    {
      oneofs: { value: ['s', 'i', 'f', 'b', 'type', 'shape', 'tensor', 'list', 'func', 'placeholder'] },
      nested: {
        ListValue: message({
          s: [2, 'bytes', R],
          i: [3, 'int64', R],
          f: [4, 'float', R],
          b: [5, 'bool', R],
          type: [6, 'DataType', R],
          shape: [7, 'TensorShapeProto', R],
          tensor: [8, 'TensorProto', R],
          func: [9, 'NameAttrList', R],
        }),
      },
    },
  ),
  NameAttrList: message({
    name: [1, 'string'],
    attr: [2, 'map<string,AttrValue>'],
  }),

  // function.proto
  FunctionDefLibrary: message({
    function: [1, 'FunctionDef', R],
    gradient: [2, 'GradientDef', R],
    registered_gradients: [3, 'RegisteredGradient', R],
  }),
  FunctionDef: message(
    {
      signature: [1, 'OpDef'],
      attr: [5, 'map<string,AttrValue>'],
      arg_attr: [7, 'map<uint32,ArgAttrs>'],
      resource_arg_unique_id: [8, 'map<uint32,uint32>'],
      node_def: [3, 'NodeDef', R],
      ret: [4, 'map<string,string>'],
      control_ret: [6, 'map<string,string>'],
    },
    { nested: { ArgAttrs: message({ attr: [1, 'map<string,AttrValue>'] }) } },
  ),
  GradientDef: message({
    function_name: [1, 'string'],
    gradient_func: [2, 'string'],
  }),
  RegisteredGradient: message({
    gradient_func: [1, 'string'],
    registered_op_type: [2, 'string'],
  }),

  // op_def.proto
  OpDef: message(
    {
      name: [1, 'string'],
      input_arg: [2, 'ArgDef', R],
      output_arg: [3, 'ArgDef', R],
      control_output: [20, 'string', R],
      attr: [4, 'AttrDef', R],
      deprecation: [8, 'OpDeprecation'],
      summary: [5, 'string'],
      description: [6, 'string'],
      is_commutative: [18, 'bool'],
      is_aggregate: [16, 'bool'],
      is_stateful: [17, 'bool'],
      allows_uninitialized_input: [19, 'bool'],
      is_distributed_communication: [21, 'bool'],
    },
    {
      nested: {
        ArgDef: message({
          name: [1, 'string'],
          description: [2, 'string'],
          type: [3, 'DataType'],
          type_attr: [4, 'string'],
          number_attr: [5, 'string'],
          type_list_attr: [6, 'string'],
          handle_data: [7, 'ResourceHandleProto.DtypeAndShape', R],
          is_ref: [16, 'bool'],
          experimental_full_type: [17, 'FullTypeDef'],
        }),
        AttrDef: message({
          name: [1, 'string'],
          type: [2, 'string'],
          default_value: [3, 'AttrValue'],
          description: [4, 'string'],
          has_minimum: [5, 'bool'],
          minimum: [6, 'int64'],
          allowed_values: [7, 'AttrValue'],
        }),
      },
    },
  ),
  OpDeprecation: message({ version: [1, 'int32'], explanation: [2, 'string'] }),
  OpList: message({ op: [1, 'OpDef', R] }),

  // saved_object_graph.proto, trackable_object_graph.proto (references only)
  SavedObjectGraph: message({
    nodes: [1, 'SavedObject', R],
    concrete_functions: [2, 'map<string,SavedConcreteFunction>'],
  }),
  SavedObject: message(
    {
      children: [1, 'ObjectReference', R],
      dependencies: [15, 'ObjectReference', R],
      slot_variables: [3, 'SlotVariableReference', R],
      user_object: [4, 'SavedUserObject'],
      asset: [5, 'SavedAsset'],
      function: [6, 'SavedFunction'],
      variable: [7, 'SavedVariable'],
      bare_concrete_function: [8, 'SavedBareConcreteFunction'],
      constant: [9, 'SavedConstant'],
      resource: [10, 'SavedResource'],
      captured_tensor: [12, 'CapturedTensor'],
      saveable_objects: [11, 'map<string,SaveableObject>'],
      registered_name: [13, 'string'],
      serialized_user_proto: [14, 'google.protobuf.Any'],
      registered_saver: [16, 'string'],
    },
    {
      oneofs: {
        kind: [
          'user_object',
          'asset',
          'function',
          'variable',
          'bare_concrete_function',
          'constant',
          'resource',
          'captured_tensor',
        ],
      },
    },
  ),
  ObjectReference: message({ node_id: [1, 'int32'], local_name: [2, 'string'] }),
  SlotVariableReference: message({
    original_variable_node_id: [1, 'int32'],
    slot_name: [2, 'string'],
    slot_variable_node_id: [3, 'int32'],
  }),
  SavedUserObject: message({
    identifier: [1, 'string'],
    version: [2, 'VersionDef'],
    metadata: [3, 'string'],
  }),
  SavedAsset: message({ asset_file_def_index: [1, 'int32'] }),
  SavedFunction: message({
    concrete_functions: [1, 'string', R],
    function_spec: [2, 'FunctionSpec'],
  }),
  CapturedTensor: message({ name: [1, 'string'], concrete_function: [2, 'string'] }),
  SavedConcreteFunction: message({
    bound_inputs: [2, 'int32', R],
    canonicalized_input_signature: [3, 'StructuredValue'],
    output_signature: [4, 'StructuredValue'],
  }),
  SavedBareConcreteFunction: message({
    concrete_function_name: [1, 'string'],
    argument_keywords: [2, 'string', R],
    allowed_positional_arguments: [3, 'int64'],
    function_spec: [4, 'FunctionSpec'],
  }),
  SavedConstant: message({ operation: [1, 'string'] }),
  SavedVariable: message({
    dtype: [1, 'DataType'],
    shape: [2, 'TensorShapeProto'],
    trainable: [3, 'bool'],
    synchronization: [4, 'VariableSynchronization'],
    aggregation: [5, 'VariableAggregation'],
    name: [6, 'string'],
    device: [7, 'string'],
    experimental_distributed_variable_components: [8, 'SavedVariable', R],
  }),
  VariableSynchronization: enumOf({
    VARIABLE_SYNCHRONIZATION_AUTO: 0,
    VARIABLE_SYNCHRONIZATION_NONE: 1,
    VARIABLE_SYNCHRONIZATION_ON_WRITE: 2,
    VARIABLE_SYNCHRONIZATION_ON_READ: 3,
  }),
  VariableAggregation: enumOf({
    VARIABLE_AGGREGATION_NONE: 0,
    VARIABLE_AGGREGATION_SUM: 1,
    VARIABLE_AGGREGATION_MEAN: 2,
    VARIABLE_AGGREGATION_ONLY_FIRST_REPLICA: 3,
  }),
  FunctionSpec: message(
    {
      fullargspec: [1, 'StructuredValue'],
      is_method: [2, 'bool'],
      input_signature: [5, 'StructuredValue'],
      jit_compile: [6, 'JitCompile'],
    },
    { nested: { JitCompile: enumOf({ DEFAULT: 0, ON: 1, OFF: 2 }) } },
  ),
  SavedResource: message({ device: [1, 'string'] }),
  SaveableObject: message({ save_function: [2, 'int32'], restore_function: [3, 'int32'] }),

  // struct.proto: enough to describe a composite tensor's TypeSpec and function signatures.
  StructuredValue: message(
    {
      none_value: [1, 'NoneValue'],
      float64_value: [11, 'double'],
      int64_value: [12, 'sint64'],
      string_value: [13, 'string'],
      bool_value: [14, 'bool'],
      tensor_shape_value: [31, 'TensorShapeProto'],
      tensor_dtype_value: [32, 'DataType'],
      tensor_spec_value: [33, 'TensorSpecProto'],
      type_spec_value: [34, 'TypeSpecProto'],
      bounded_tensor_spec_value: [35, 'BoundedTensorSpecProto'],
      list_value: [51, 'ListValue'],
      tuple_value: [52, 'TupleValue'],
      dict_value: [53, 'DictValue'],
      named_tuple_value: [54, 'NamedTupleValue'],
      tensor_value: [55, 'TensorProto'],
      numpy_value: [56, 'TensorProto'],
    },
    {
      oneofs: {
        kind: [
          'none_value',
          'float64_value',
          'int64_value',
          'string_value',
          'bool_value',
          'tensor_shape_value',
          'tensor_dtype_value',
          'tensor_spec_value',
          'type_spec_value',
          'bounded_tensor_spec_value',
          'list_value',
          'tuple_value',
          'dict_value',
          'named_tuple_value',
          'tensor_value',
          'numpy_value',
        ],
      },
    },
  ),
  NoneValue: message({}),
  ListValue: message({ values: [1, 'StructuredValue', R] }),
  TupleValue: message({ values: [1, 'StructuredValue', R] }),
  DictValue: message({ fields: [1, 'map<string,StructuredValue>'] }),
  PairValue: message({ key: [1, 'string'], value: [2, 'StructuredValue'] }),
  NamedTupleValue: message({ name: [1, 'string'], values: [2, 'PairValue', R] }),
  TensorSpecProto: message({
    name: [1, 'string'],
    shape: [2, 'TensorShapeProto'],
    dtype: [3, 'DataType'],
  }),
  BoundedTensorSpecProto: message({
    name: [1, 'string'],
    shape: [2, 'TensorShapeProto'],
    dtype: [3, 'DataType'],
    minimum: [4, 'TensorProto'],
    maximum: [5, 'TensorProto'],
  }),
  TypeSpecProto: message(
    {
      type_spec_class: [1, 'TypeSpecClass'],
      type_state: [2, 'StructuredValue'],
      type_spec_class_name: [3, 'string'],
      num_flat_components: [4, 'int32'],
    },
    {
      nested: {
        TypeSpecClass: enumOf({
          UNKNOWN: 0,
          SPARSE_TENSOR_SPEC: 1,
          INDEXED_SLICES_SPEC: 2,
          RAGGED_TENSOR_SPEC: 3,
          TENSOR_ARRAY_SPEC: 4,
          DATA_DATASET_SPEC: 5,
          DATA_ITERATOR_SPEC: 6,
          OPTIONAL_SPEC: 7,
          PER_REPLICA_SPEC: 8,
          VARIABLE_SPEC: 9,
          ROW_PARTITION_SPEC: 10,
          REGISTERED_TYPE_SPEC: 12,
          EXTENSION_TYPE_SPEC: 13,
        }),
      },
    },
  ),

  // fingerprint.proto
  FingerprintDef: message({
    saved_model_checksum: [1, 'uint64'],
    graph_def_program_hash: [2, 'uint64'],
    signature_def_hash: [3, 'uint64'],
    saved_object_graph_hash: [4, 'uint64'],
    checkpoint_hash: [5, 'uint64'],
    version: [6, 'VersionDef'],
    uuid: [7, 'string'],
  }),

  // example.proto, feature.proto (tf.Example for classify / regress)
  Example: message({ features: [1, 'Features'] }),
  SequenceExample: message({ context: [1, 'Features'], feature_lists: [2, 'FeatureLists'] }),
  Features: message({ feature: [1, 'map<string,Feature>'] }),
  Feature: message(
    {
      bytes_list: [1, 'BytesList'],
      float_list: [2, 'FloatList'],
      int64_list: [3, 'Int64List'],
    },
    { oneofs: { kind: ['bytes_list', 'float_list', 'int64_list'] } },
  ),
  FeatureList: message({ feature: [1, 'Feature', R] }),
  FeatureLists: message({ feature_list: [1, 'map<string,FeatureList>'] }),
  BytesList: message({ value: [1, 'bytes', R] }),
  FloatList: message({ value: [1, 'float', R] }),
  Int64List: message({ value: [1, 'int64', R] }),
};

const googleProtobuf: Record<string, MessageJSON> = {
  Any: message({ type_url: [1, 'string'], value: [2, 'bytes'] }),
};

/** The schema as a protobufjs JSON descriptor (for tools that want to inspect it). */
export const SCHEMA_JSON = {
  nested: {
    tensorflow: { nested: tensorflow },
    google: { nested: { protobuf: { nested: googleProtobuf } } },
  },
} as unknown as protobuf.INamespace;

/** The resolved reflection root: `root.lookupType('tensorflow.SavedModel')` and so on. */
export const root: protobuf.Root = protobuf.Root.fromJSON(SCHEMA_JSON);
root.resolveAll();
installFastConstructors(root);

/**
 * Two changes to how protobufjs builds our message objects, both found by profiling the decode of
 * large graphs (tens of thousands of NodeDefs):
 *
 * 1. Constructors that do not pre-allocate. protobufjs' generated constructor gives every message a
 *    fresh `[]` for each repeated field and `{}` for each map (a TensorProto gets 14 arrays), and the
 *    garbage collector then spent more time than the decoder. Ours set only what is passed in;
 *    absent repeated/map fields read the shared, frozen empty array/object protobufjs keeps on the
 *    prototype, and the decoder replaces them when a value arrives. So a decoded message is
 *    read-only at its empty collections: build new messages with `types.X.fromObject`/`create(props)`.
 * 2. A cheaper oneof setter. protobufjs marks which member of a oneof is set with a setter that
 *    `delete`s every other member, on every decoded oneof field; `delete` of a missing property is a
 *    slow runtime call. Ours deletes only the members actually present (same meaning).
 *
 * The oneof setter swap is scoped to creating our constructors; the global util is restored.
 */
function installFastConstructors(ns: protobuf.NamespaceBase): void {
  const util = protobuf.util as unknown as { oneOfSetter: (names: string[]) => (name: string) => void };
  const original = util.oneOfSetter;
  util.oneOfSetter = (names: string[]) =>
    function setOneof(this: Record<string, unknown>, name: string): void {
      for (let i = 0; i < names.length; i++) {
        const other = names[i]!;
        if (other !== name && Object.prototype.hasOwnProperty.call(this, other)) delete this[other];
      }
    };
  try {
    const visit = (n: protobuf.NamespaceBase): void => {
      for (const child of n.nestedArray) {
        if (child instanceof protobuf.Type) child.ctor = makeConstructor() as unknown as protobuf.Constructor<object>;
        if (child instanceof protobuf.Namespace) visit(child);
      }
    };
    visit(ns);
  } finally {
    util.oneOfSetter = original;
  }
}

function makeConstructor(): (this: Record<string, unknown>, props?: Record<string, unknown>) => void {
  return function Message(this: Record<string, unknown>, props?: Record<string, unknown>): void {
    if (!props) return;
    for (const key of Object.keys(props)) if (props[key] != null && key !== '__proto__') this[key] = props[key];
  };
}

function t(name: string): protobuf.Type {
  return root.lookupType(`tensorflow.${name}`);
}

/** The message types, by their TensorFlow name (nested types as `Outer.Inner`). */
export const types = {
  SavedModel: t('SavedModel'),
  MetaGraphDef: t('MetaGraphDef'),
  MetaInfoDef: t('MetaGraphDef.MetaInfoDef'),
  CollectionDef: t('CollectionDef'),
  SignatureDef: t('SignatureDef'),
  TensorInfo: t('TensorInfo'),
  CooSparse: t('TensorInfo.CooSparse'),
  CompositeTensor: t('TensorInfo.CompositeTensor'),
  TypeSpecProto: t('TypeSpecProto'),
  StructuredValue: t('StructuredValue'),
  TensorShapeProto: t('TensorShapeProto'),
  TensorProto: t('TensorProto'),
  ResourceHandleProto: t('ResourceHandleProto'),
  GraphDef: t('GraphDef'),
  NodeDef: t('NodeDef'),
  AttrValue: t('AttrValue'),
  NameAttrList: t('NameAttrList'),
  VersionDef: t('VersionDef'),
  FunctionDefLibrary: t('FunctionDefLibrary'),
  FunctionDef: t('FunctionDef'),
  GradientDef: t('GradientDef'),
  OpDef: t('OpDef'),
  OpList: t('OpList'),
  SaverDef: t('SaverDef'),
  AssetFileDef: t('AssetFileDef'),
  SavedObjectGraph: t('SavedObjectGraph'),
  SavedObject: t('SavedObject'),
  SavedVariable: t('SavedVariable'),
  SavedConcreteFunction: t('SavedConcreteFunction'),
  FingerprintDef: t('FingerprintDef'),
  Example: t('Example'),
  SequenceExample: t('SequenceExample'),
  Features: t('Features'),
  Feature: t('Feature'),
  Any: root.lookupType('google.protobuf.Any'),
} as const;

/** The DataType enum reflection object. */
export const DataTypeEnum: protobuf.Enum = root.lookupEnum('tensorflow.DataType');

// ---------------------------------------------------------------------------------------------
// 64-bit integers.

/** What an int64/uint64 field holds: a Long after a binary decode, or a number / decimal string. */
export type Int64 = number | string | protobuf.Long | bigint;

function isLong(v: unknown): v is protobuf.Long {
  return typeof v === 'object' && v !== null && 'low' in v && 'high' in v;
}

/** The exact value as a BigInt. */
export function toBigInt(v: Int64 | null | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'string') return BigInt(v);
  const lo = BigInt(v.low >>> 0);
  const hi = BigInt(v.high >>> 0);
  const u = (hi << 32n) | lo;
  return v.unsigned ? u : BigInt.asIntN(64, u);
}

/** The exact value as a decimal string. */
export function toDecimal(v: Int64 | null | undefined): string {
  return toBigInt(v).toString();
}

/** The value as a JS number (exact within ±2^53; dimension sizes and counts fit). */
export function toNumber(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (isLong(v)) {
    // Fast path for the common case: values that fit in 32 bits (dims, -1).
    if (!v.unsigned && ((v.high === 0 && v.low >= 0) || (v.high === -1 && v.low < 0))) return v.low;
    return Number(toBigInt(v));
  }
  return Number(v);
}

// ---------------------------------------------------------------------------------------------
// The shapes of decoded messages (what `types.X.decode` returns, and what a text-format parser
// should build). Fields may be absent on plain objects; readers treat absent as the default.

export interface IDim {
  size?: Int64;
  name?: string;
}
export interface ITensorShapeProto {
  dim?: IDim[];
  unknown_rank?: boolean;
}
export interface ICooSparse {
  values_tensor_name?: string;
  indices_tensor_name?: string;
  dense_shape_tensor_name?: string;
}
export interface IStructuredValue {
  none_value?: object | null;
  float64_value?: number;
  int64_value?: Int64;
  string_value?: string;
  bool_value?: boolean;
  tensor_shape_value?: ITensorShapeProto | null;
  tensor_dtype_value?: number;
  tensor_spec_value?: { name?: string; shape?: ITensorShapeProto | null; dtype?: number } | null;
  type_spec_value?: ITypeSpecProto | null;
  list_value?: { values?: IStructuredValue[] } | null;
  tuple_value?: { values?: IStructuredValue[] } | null;
  dict_value?: { fields?: Record<string, IStructuredValue> } | null;
  named_tuple_value?: { name?: string; values?: { key?: string; value?: IStructuredValue | null }[] } | null;
  tensor_value?: ITensorProto | null;
  numpy_value?: ITensorProto | null;
  /** The oneof member that is set (protobufjs virtual property). */
  kind?: string;
}
export interface ITypeSpecProto {
  type_spec_class?: number;
  type_state?: IStructuredValue | null;
  type_spec_class_name?: string;
  num_flat_components?: number;
}
export interface ICompositeTensor {
  type_spec?: ITypeSpecProto | null;
  components?: ITensorInfo[];
}
export interface ITensorInfo {
  name?: string;
  coo_sparse?: ICooSparse | null;
  composite_tensor?: ICompositeTensor | null;
  dtype?: number;
  tensor_shape?: ITensorShapeProto | null;
  /** The oneof member that is set: "name" | "coo_sparse" | "composite_tensor". */
  encoding?: string;
}
export interface ITensorProto {
  dtype?: number;
  tensor_shape?: ITensorShapeProto | null;
  version_number?: number;
  tensor_content?: Uint8Array;
  half_val?: number[];
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  string_val?: Uint8Array[];
  scomplex_val?: number[];
  int64_val?: Int64[];
  bool_val?: boolean[];
  dcomplex_val?: number[];
  resource_handle_val?: object[];
  variant_val?: object[];
  uint32_val?: number[];
  uint64_val?: Int64[];
  float8_val?: Uint8Array;
}
export interface ISignatureDef {
  inputs?: Record<string, ITensorInfo>;
  outputs?: Record<string, ITensorInfo>;
  method_name?: string;
  defaults?: Record<string, ITensorProto>;
}
export interface INameAttrList {
  name?: string;
  attr?: Record<string, IAttrValue>;
}
export interface IAttrListValue {
  s?: Uint8Array[];
  i?: Int64[];
  f?: number[];
  b?: boolean[];
  type?: number[];
  shape?: ITensorShapeProto[];
  tensor?: ITensorProto[];
  func?: INameAttrList[];
}
export interface IAttrValue {
  s?: Uint8Array;
  i?: Int64;
  f?: number;
  b?: boolean;
  type?: number;
  shape?: ITensorShapeProto | null;
  tensor?: ITensorProto | null;
  list?: IAttrListValue | null;
  func?: INameAttrList | null;
  placeholder?: string;
  /** The oneof member that is set. */
  value?: string;
}
export interface INodeDef {
  name?: string;
  op?: string;
  input?: string[];
  device?: string;
  attr?: Record<string, IAttrValue>;
}
export interface IVersionDef {
  producer?: number;
  min_consumer?: number;
  bad_consumers?: number[];
}
export interface IArgDef {
  name?: string;
  description?: string;
  type?: number;
  type_attr?: string;
  number_attr?: string;
  type_list_attr?: string;
  is_ref?: boolean;
}
export interface IAttrDef {
  name?: string;
  type?: string;
  default_value?: IAttrValue | null;
  description?: string;
  has_minimum?: boolean;
  minimum?: Int64;
  allowed_values?: IAttrValue | null;
}
export interface IOpDef {
  name?: string;
  input_arg?: IArgDef[];
  output_arg?: IArgDef[];
  control_output?: string[];
  attr?: IAttrDef[];
  summary?: string;
  description?: string;
  is_commutative?: boolean;
  is_aggregate?: boolean;
  is_stateful?: boolean;
  allows_uninitialized_input?: boolean;
}
export interface IFunctionDef {
  signature?: IOpDef | null;
  attr?: Record<string, IAttrValue>;
  arg_attr?: Record<string, { attr?: Record<string, IAttrValue> }>;
  resource_arg_unique_id?: Record<string, number>;
  node_def?: INodeDef[];
  ret?: Record<string, string>;
  control_ret?: Record<string, string>;
}
export interface IGradientDef {
  function_name?: string;
  gradient_func?: string;
}
export interface IFunctionDefLibrary {
  function?: IFunctionDef[];
  gradient?: IGradientDef[];
}
export interface IGraphDef {
  node?: INodeDef[];
  versions?: IVersionDef | null;
  version?: number;
  library?: IFunctionDefLibrary | null;
}
export interface IAny {
  type_url?: string;
  value?: Uint8Array;
}
export interface ICollectionDef {
  node_list?: { value?: string[] } | null;
  bytes_list?: { value?: Uint8Array[] } | null;
  int64_list?: { value?: Int64[] } | null;
  float_list?: { value?: number[] } | null;
  any_list?: { value?: IAny[] } | null;
  /** The oneof member that is set. */
  kind?: string;
}
export interface IMetaInfoDef {
  meta_graph_version?: string;
  stripped_op_list?: { op?: IOpDef[] } | null;
  any_info?: IAny | null;
  tags?: string[];
  tensorflow_version?: string;
  tensorflow_git_version?: string;
  stripped_default_attrs?: boolean;
  function_aliases?: Record<string, string>;
}
export interface ISaverDef {
  filename_tensor_name?: string;
  save_tensor_name?: string;
  restore_op_name?: string;
  max_to_keep?: number;
  sharded?: boolean;
  keep_checkpoint_every_n_hours?: number;
  version?: number;
}
export interface IAssetFileDef {
  tensor_info?: ITensorInfo | null;
  filename?: string;
}
export interface IObjectReference {
  node_id?: number;
  local_name?: string;
}
export interface ISavedVariable {
  dtype?: number;
  shape?: ITensorShapeProto | null;
  trainable?: boolean;
  synchronization?: number;
  aggregation?: number;
  name?: string;
  device?: string;
  experimental_distributed_variable_components?: ISavedVariable[];
}
export interface ISavedConcreteFunction {
  bound_inputs?: number[];
  canonicalized_input_signature?: IStructuredValue | null;
  output_signature?: IStructuredValue | null;
}
export interface ISavedObject {
  children?: IObjectReference[];
  dependencies?: IObjectReference[];
  slot_variables?: { original_variable_node_id?: number; slot_name?: string; slot_variable_node_id?: number }[];
  user_object?: { identifier?: string; version?: IVersionDef | null; metadata?: string } | null;
  asset?: { asset_file_def_index?: number } | null;
  function?: { concrete_functions?: string[]; function_spec?: object | null } | null;
  variable?: ISavedVariable | null;
  bare_concrete_function?: {
    concrete_function_name?: string;
    argument_keywords?: string[];
    allowed_positional_arguments?: Int64;
  } | null;
  constant?: { operation?: string } | null;
  resource?: { device?: string } | null;
  captured_tensor?: { name?: string; concrete_function?: string } | null;
  saveable_objects?: Record<string, { save_function?: number; restore_function?: number }>;
  registered_name?: string;
  registered_saver?: string;
  /** The oneof member that is set: "user_object" | "asset" | "function" | "variable" | ... */
  kind?: string;
}
export interface ISavedObjectGraph {
  nodes?: ISavedObject[];
  concrete_functions?: Record<string, ISavedConcreteFunction>;
}
export interface IMetaGraphDef {
  meta_info_def?: IMetaInfoDef | null;
  graph_def?: IGraphDef | null;
  saver_def?: ISaverDef | null;
  collection_def?: Record<string, ICollectionDef>;
  signature_def?: Record<string, ISignatureDef>;
  asset_file_def?: IAssetFileDef[];
  object_graph_def?: ISavedObjectGraph | null;
}
export interface ISavedModel {
  saved_model_schema_version?: Int64;
  meta_graphs?: IMetaGraphDef[];
}
export interface IFingerprintDef {
  saved_model_checksum?: Int64;
  graph_def_program_hash?: Int64;
  signature_def_hash?: Int64;
  saved_object_graph_hash?: Int64;
  checkpoint_hash?: Int64;
  version?: IVersionDef | null;
  uuid?: string;
}
export interface IFeature {
  bytes_list?: { value?: Uint8Array[] } | null;
  float_list?: { value?: number[] } | null;
  int64_list?: { value?: Int64[] } | null;
  kind?: string;
}
export interface IExample {
  features?: { feature?: Record<string, IFeature> } | null;
}

/**
 * Lists a binary SavedModel's tag-sets and signatures WITHOUT decoding its graph.
 *
 * A `saved_model.pb` is one SavedModel message:
 *   SavedModel { 1: saved_model_schema_version (varint), 2: meta_graphs (MetaGraphDef, repeated) }
 *   MetaGraphDef { 1: meta_info_def, 2: graph_def, 3: saver_def, 4: collection_def (map entries),
 *                  5: signature_def (map entries), 6: asset_file_def (repeated), 7: object_graph_def }
 * Almost all of the bytes are in graph_def (and object_graph_def / the variables collections); the
 * signatures are a few hundred bytes each, usually written AFTER the graph. So the reader walks the
 * field headers of SavedModel and of each MetaGraphDef with small positioned reads, in whatever
 * order the fields come (TF2 exports write MetaGraphDef fields in reverse), records where the big
 * fields lie and seeks over them, and reads into memory only:
 *   - meta_info_def (tags, TF version, stripped op names: its any_info is skipped),
 *   - each signature_def map entry,
 *   - each asset_file_def,
 *   - the collection_def entries keyed "saved_model_assets" and "asset_filepaths" (see below);
 *     of every other collection entry only the key.
 * Those bytes are decoded with the schema's message types by the bounded decoder of `wire.ts`,
 * and summarised by the same functions as the full decode, so the `Signature` objects are
 * identical.
 *
 * TF1 assets: TF1 exports do not fill asset_file_def; they declare assets through two collections.
 * `saved_model_assets` is an any_list of AssetFileDef {tensor_info, filename}: exactly what
 * TensorFlow's own loader reads when asset_file_def is empty (loader_util GetAssetFileDefs), so
 * the lazy reader decodes it. `asset_filepaths` is a node_list of tensor names only ("Const:0"):
 * the file name lives in that Const node inside graph_def. The lazy reader decodes this small entry
 * too, but does not chase the names into the graph: tensors it names that no AssetFileDef covers
 * are reported in `layout[i].assetTensorsInGraph` (the full decode would list them as assets), so a
 * caller can tell an asset list is incomplete and fall back to the full decode. TF1 exports write
 * both collections, so this list is empty for them.
 * Cost: the key of every collection entry is read (TensorFlow writes map entries key-then-value,
 * so the entry header, key header and key fall in the 16 KiB window already read, or take one
 * read when a big collection was just skipped); the value's length prefix lets us seek over the big collections
 * ("variables"/"trainable_variables" grow with the model: 750 KB each for 4096 variables in the
 * synthetic benchmark) without reading them. A value that comes before its key is handled too: its
 * position is remembered and it is read only if the key turns out to be wanted.
 */
import { ModelFormatError } from '../errors';
import {
  FileWireReader,
  WireView,
  WIRE_LEN,
  WIRE_VARINT,
  decodeMessage,
  formatError,
  int64Number,
  type PlainMessage,
  type Projection,
  type WireField,
} from './wire';
import { types, type IMetaGraphDef } from './proto/schema';
import type { MetaGraphSummary } from './types';
import { summarizeMetaGraph } from './savedmodel';

/** A byte range of the file: the value of a length-delimited field. */
export interface ByteRange {
  /** Offset of the value's first byte (after the tag and length prefix). */
  offset: number;
  length: number;
}

/** Where one MetaGraphDef's parts lie in the file, for readers that want to load them later. */
export interface MetaGraphLayout {
  /** The MetaGraphDef message itself. */
  range: ByteRange;
  graphDef?: ByteRange;
  saverDef?: ByteRange;
  objectGraphDef?: ByteRange;
  /** Every collection_def entry: its key and the range of its CollectionDef value. */
  collections: { key: string; range: ByteRange }[];
  /**
   * Tensors the TF1 `asset_filepaths` collection names that no asset_file_def / saved_model_assets
   * entry covers. Their file names live in Const nodes of the graph, which the lazy listing does not
   * read; a full decode (savedmodel.ts `assetsOf`) adds them to `assets`. Empty in every
   * TensorFlow-written model we know of (TF1 exports write both collections).
   */
  assetTensorsInGraph: string[];
}

export interface LazySavedModel {
  file: string;
  /** File size in bytes. */
  size: number;
  /** saved_model_schema_version (0 when absent, as in the full decode's summary). */
  schemaVersion: number;
  /** One per MetaGraphDef, in file order. `ops` is never set (it needs the graph). */
  metaGraphs: MetaGraphSummary[];
  layout: MetaGraphLayout[];
  /** What the listing cost: positioned read calls and bytes they returned. */
  io: { reads: number; bytesRead: number };
}

/** The collection entries the lazy reader decodes (TF1 asset declarations). */
export const LAZY_COLLECTIONS: ReadonlySet<string> = new Set(['saved_model_assets', 'asset_filepaths']);

/**
 * The MetaGraphDef fields the lazy reader decodes. Of MetaInfoDef everything but any_info (an
 * arbitrary Any) and, of the stripped op list, only the op names.
 */
const SMALL_FIELDS: Projection = {
  meta_info_def: {
    meta_graph_version: true,
    stripped_op_list: { op: { name: true } },
    tags: true,
    tensorflow_version: true,
    tensorflow_git_version: true,
    stripped_default_attrs: true,
    function_aliases: true,
  },
  collection_def: true,
  signature_def: true,
  asset_file_def: true,
};

const range = (f: WireField): ByteRange => ({ offset: f.valueStart, length: f.end - f.valueStart });

function expectLen(file: string, f: WireField, what: string): void {
  if (f.wireType !== WIRE_LEN) throw formatError(file, f.start, `${what} (field ${f.field}) as a length-delimited field`, `wire type ${f.wireType}`);
}

/** Reads one map entry's key (field 1, a string) by headers; returns the key and the value field. */
async function mapEntryKey(r: FileWireReader, entry: WireField): Promise<{ key: string; value?: WireField }> {
  let key = '';
  let value: WireField | undefined;
  for await (const f of r.fields(entry.valueStart, entry.end)) {
    if (f.field === 1) {
      expectLen(r.file, f, 'a map key');
      key = Buffer.from(await r.bytes(f.valueStart, f.end)).toString('utf8');
    } else if (f.field === 2) {
      expectLen(r.file, f, 'a map value');
      value = f;
    }
  }
  return { key, value };
}

/** Decodes the whole field `f` (tag, length and value) as part of a MetaGraphDef into `into`. */
async function decodeField(r: FileWireReader, f: WireField, projection: Projection, into: PlainMessage): Promise<void> {
  const bytes = await r.bytes(f.start, f.end);
  decodeMessage(new WireView(bytes, { file: r.file, base: f.start }, 1), types.MetaGraphDef, projection, into);
}

/**
 * Reads one MetaGraphDef lazily into a plain object holding just the small fields (the same shape
 * and merge semantics as a full decode of those fields), plus its layout.
 */
async function readMetaGraph(r: FileWireReader, mg: WireField): Promise<{ plain: PlainMessage; layout: MetaGraphLayout }> {
  const plain: PlainMessage = {};
  const layout: MetaGraphLayout = { range: range(mg), collections: [], assetTensorsInGraph: [] };
  for await (const f of r.fields(mg.valueStart, mg.end)) {
    switch (f.field) {
      case 1:
        expectLen(r.file, f, 'MetaGraphDef.meta_info_def');
        await decodeField(r, f, SMALL_FIELDS, plain);
        break;
      case 2:
        expectLen(r.file, f, 'MetaGraphDef.graph_def');
        layout.graphDef = range(f);
        break;
      case 3:
        expectLen(r.file, f, 'MetaGraphDef.saver_def');
        layout.saverDef = range(f);
        break;
      case 4: {
        expectLen(r.file, f, 'MetaGraphDef.collection_def');
        const { key, value } = await mapEntryKey(r, f);
        layout.collections.push({ key, range: value ? range(value) : { offset: f.end, length: 0 } });
        if (LAZY_COLLECTIONS.has(key)) await decodeField(r, f, SMALL_FIELDS, plain);
        break;
      }
      case 5:
        expectLen(r.file, f, 'MetaGraphDef.signature_def');
        await decodeField(r, f, SMALL_FIELDS, plain);
        break;
      case 6:
        expectLen(r.file, f, 'MetaGraphDef.asset_file_def');
        await decodeField(r, f, SMALL_FIELDS, plain);
        break;
      case 7:
        expectLen(r.file, f, 'MetaGraphDef.object_graph_def');
        layout.objectGraphDef = range(f);
        plain.object_graph_def = {};
        break;
      default:
        break; // unknown fields are skipped, as a full decode does
    }
  }
  return { plain, layout };
}

/**
 * Lists every MetaGraphDef of the binary SavedModel `file`: tags, signatures, TF version, stripped
 * ops, assets, whether it has an object graph, and the schema version, reading only the bytes of
 * those small fields. Throws ModelFormatError (file, byte offset, what was expected) for a truncated
 * or corrupt file, IoError when it cannot be read.
 */
export async function listSignaturesLazy(file: string): Promise<LazySavedModel> {
  const r = await FileWireReader.open(file);
  try {
    let schemaVersion = 0;
    const metaGraphs: MetaGraphSummary[] = [];
    const layout: MetaGraphLayout[] = [];
    for await (const f of r.fields(0, r.size)) {
      if (f.field === 1) {
        if (f.wireType !== WIRE_VARINT) {
          throw formatError(file, f.start, 'SavedModel.saved_model_schema_version (field 1) as a varint', `wire type ${f.wireType}`);
        }
        schemaVersion = int64Number(f.lo, f.hi);
      } else if (f.field === 2) {
        expectLen(file, f, 'SavedModel.meta_graphs');
        const mg = await readMetaGraph(r, f);
        // The summarizer of the full decode, over the fields read; without graph_def it lists no ops.
        const summary = summarizeMetaGraph(mg.plain as IMetaGraphDef, { file, ops: false });
        const covered = new Set(summary.assets.map((a) => a.tensor));
        const paths = (mg.plain as IMetaGraphDef).collection_def?.['asset_filepaths']?.node_list?.value ?? [];
        mg.layout.assetTensorsInGraph = [...new Set(paths.filter((t) => !covered.has(t)))];
        metaGraphs.push(summary);
        layout.push(mg.layout);
      }
    }
    if (metaGraphs.length === 0) {
      throw new ModelFormatError(
        { file, offset: 0 },
        'at least one MetaGraphDef (SavedModel field 2)',
        r.size === 0 ? 'the file is empty' : `${r.size} bytes hold a SavedModel without meta graphs`,
      );
    }
    return { file, size: r.size, schemaVersion, metaGraphs, layout, io: { reads: r.reads, bytesRead: r.bytesRead } };
  } finally {
    await r.close();
  }
}

/**
 * `fingerprint.pb`: the FingerprintDef TensorFlow 2.11+ writes next to `saved_model.pb`.
 *
 * Its five hashes are uint64 and most do not fit a JS number, so this reader decodes the varints
 * itself into BigInt and hands them out as exact decimal strings (the `Fingerprint` contract),
 * independent of whether protobufjs has `long` at hand.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IoError, ModelFormatError } from '../errors';
import { decodeMessage, readFileBounded } from './savedmodel';
import { types, type IVersionDef } from './proto/schema';
import type { Fingerprint } from './types';

export const FINGERPRINT_FILE = 'fingerprint.pb';

/** A fingerprint is 5 varints, a small VersionDef and perhaps a UUID: a few hundred bytes at most. */
const MAX_FINGERPRINT_BYTES = 1 << 20;

const HASH_FIELDS = {
  1: 'savedModelChecksum',
  2: 'graphDefProgramHash',
  3: 'signatureDefHash',
  4: 'savedObjectGraphHash',
  5: 'checkpointHash',
} as const;

/** Decodes a FingerprintDef. ModelFormatError with the byte offset on malformed input. */
export function decodeFingerprint(bytes: Uint8Array, file: string): Fingerprint {
  const out: Fingerprint = {
    savedModelChecksum: '0',
    graphDefProgramHash: '0',
    signatureDefHash: '0',
    savedObjectGraphHash: '0',
    checkpointHash: '0',
  };
  let pos = 0;
  const fail = (at: number, expected: string, detail?: string): never => {
    throw new ModelFormatError({ file, offset: at }, expected, detail);
  };
  const varint = (): bigint => {
    const start = pos;
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= bytes.length) return fail(start, 'a varint', 'the file ends inside it');
      const b = bytes[pos++]!;
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, value);
    }
    return fail(start, 'a varint of at most 10 bytes');
  };
  const skip = (n: bigint, at: number): void => {
    if (n > BigInt(bytes.length - pos)) fail(at, `${n} more bytes`, `only ${bytes.length - pos} left`);
    pos += Number(n);
  };

  while (pos < bytes.length) {
    const tagAt = pos;
    const tag = varint();
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (field === 0) fail(tagAt, 'a field tag with a field number above 0');
    if (field >= 1 && field <= 5) {
      if (wire !== 0) fail(tagAt, `a varint for FingerprintDef field ${field}`, `wire type ${wire}`);
      out[HASH_FIELDS[field as 1 | 2 | 3 | 4 | 5]] = varint().toString();
      continue;
    }
    if (field === 6 && wire === 2) {
      const lenAt = pos;
      const len = varint();
      skip(len, lenAt);
      const version = decodeMessage<IVersionDef>(
        types.VersionDef,
        bytes.subarray(pos - Number(len), pos),
        file,
        'FingerprintDef.version',
        pos - Number(len),
      );
      out.version = { producer: version.producer ?? 0 };
      if (version.min_consumer) out.version.minConsumer = version.min_consumer;
      if (version.bad_consumers?.length) out.version.badConsumers = [...version.bad_consumers];
      continue;
    }
    // Anything else (uuid, fields of newer TensorFlow): skip by wire type.
    switch (wire) {
      case 0:
        varint();
        break;
      case 1:
        skip(8n, tagAt);
        break;
      case 2: {
        const lenAt = pos;
        skip(varint(), lenAt);
        break;
      }
      case 5:
        skip(4n, tagAt);
        break;
      default:
        fail(tagAt, 'a FingerprintDef field with wire type 0, 1, 2 or 5', `wire type ${wire}`);
    }
  }
  return out;
}

/**
 * Reads `fingerprint.pb` from a SavedModel directory. Undefined when the model has none (exports
 * before TF 2.11); IoError for other file system failures; ModelFormatError when it is corrupt.
 */
export async function readFingerprint(dir: string): Promise<Fingerprint | undefined> {
  const file = join(dir, FINGERPRINT_FILE);
  try {
    await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IoError(file, err);
  }
  const bytes = await readFileBounded(file, MAX_FINGERPRINT_BYTES);
  return decodeFingerprint(bytes, file);
}

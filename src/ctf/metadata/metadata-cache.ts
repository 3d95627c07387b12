/**
 * On-disk cache of decoded metadata. A kernel trace's TSDL metadata is ~300 KB declaring
 * ~1,200 event classes; lexing, parsing, resolving and validating it takes far longer
 * than decoding a small trace, and a trace is usually read many times. The first read
 * does the full work (with every check babeltrace2 makes, also on event classes no packet
 * uses) and stores the resulting model; later reads of the same metadata load it and
 * build only the event classes the packets use, on first use.
 *
 * - Key: a content hash (base/content-hash.cts) of the metadata file's bytes, plus a
 *   fingerprint of the code that builds the model (this module's directory, or the bundle holding it: sizes and mtimes) and
 *   of the V8 version (the entries are V8-serialised), so a changed reader never sees an
 *   entry of another.
 * - A new recording has new bytes (its UUID, env and clock offset differ) but usually the
 *   declarations of an earlier one (same tracer, same machine): `decl-…` entries name the
 *   model stored for some TSDL declarations (tsdl-instance.ts), and a recording read
 *   through it gets its own UUID, env and clocks from its metadata without event blocks
 *   (~20 ms instead of ~60 ms for a kernel trace); `inst-…` remembers those for its next
 *   reads (~5 ms, like an entry of its own).
 * - Where: `$XDG_CACHE_HOME/tracewire/ctf-metadata/`, else `~/.cache/tracewire/ctf-metadata/`.
 *   `TRACEWIRE_NO_CACHE=1` turns it off; `TRACEWIRE_CACHE_DIR` moves it (tests).
 * - Safety: entries are written to a temporary file and renamed (readers never see half
 *   an entry, concurrent writers of one key write the same bytes); each entry carries a
 *   digest of its content, checked on load; only entries this user owns and others cannot
 *   write are read; any problem (unreadable, corrupt, wrong version, foreign, no space)
 *   means "not cached" and never fails the command. At most MAX_ENTRIES entries are
 *   kept (oldest removed).
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { cacheBaseDir, codeFingerprint, pruneCacheDir, readCheckedFile, readOwnFile, writeCheckedFile, writeFileAtomically } from '../../base/cache-files.cjs';
import { contentDigest, contentHash } from '../../base/content-hash.cjs';
import { walkFieldClass } from './field-class-util.js';
import type { EventClass, FieldClass, StreamClass, TraceClass } from './model.js';

const MAGIC = 'TWMETA03';
const PREFIX_BYTES = 28; // magic (8) + header length (4) + content digest of the rest (16)
const MAX_ENTRIES = 256;

/** Event classes of one stream class held serialised until first use. */
interface LazyEntry {
  readonly id: number;
  readonly start: number;
  readonly end: number;
}

interface CacheHeader {
  readonly key: string;
  /** The trace class; with `events`, its stream classes' event maps are empty. */
  readonly tc: TraceClass;
  /**
   * Per stream class id: its event classes in declaration order, as [id, start, end]
   * byte ranges of the serialised classes, which follow the header.
   */
  readonly events: Array<[number, Array<[number, number, number]>]> | null;
}

/**
 * The event classes of a stream class, built from the cache entry when first asked for.
 * Behaves like the Map the resolver builds (same keys, same iteration order): get()/has()
 * build one class, keys()/size build none, iterating values builds them all.
 */
export class LazyEventClasses extends Map<number, EventClass> {
  private readonly pending = new Map<number, LazyEntry>();
  private readonly built = new Map<number, EventClass>();
  private readonly order: number[] = [];
  private complete = false;

  constructor(
    entries: ReadonlyArray<LazyEntry>,
    private readonly load: (e: LazyEntry) => EventClass,
  ) {
    super();
    for (const e of entries) {
      this.pending.set(e.id, e);
      this.order.push(e.id);
    }
  }

  override get(id: number): EventClass | undefined {
    if (this.complete) return super.get(id);
    let ec = this.built.get(id);
    if (ec === undefined) {
      const e = this.pending.get(id);
      if (e === undefined) return undefined;
      ec = this.load(e);
      this.built.set(id, ec);
    }
    return ec;
  }
  override has(id: number): boolean {
    return this.complete ? super.has(id) : this.pending.has(id);
  }
  override get size(): number {
    return this.complete ? super.size : this.order.length;
  }
  override keys(): MapIterator<number> {
    return this.complete ? super.keys() : this.order[Symbol.iterator]();
  }
  /** Builds every event class (in declaration order), after which this is a plain Map. */
  private all(): void {
    if (this.complete) return;
    for (const id of this.order) super.set(id, this.get(id)!);
    this.complete = true;
    this.pending.clear();
    this.built.clear();
  }
  override values(): MapIterator<EventClass> {
    this.all();
    return super.values();
  }
  override entries(): MapIterator<[number, EventClass]> {
    this.all();
    return super.entries();
  }
  override [Symbol.iterator](): MapIterator<[number, EventClass]> {
    this.all();
    return super[Symbol.iterator]();
  }
  override forEach(cb: (value: EventClass, key: number, map: Map<number, EventClass>) => void, thisArg?: unknown): void {
    this.all();
    super.forEach(cb, thisArg);
  }
  override set(id: number, ec: EventClass): this {
    this.all();
    return super.set(id, ec);
  }
  override delete(id: number): boolean {
    this.all();
    return super.delete(id);
  }
  override clear(): void {
    this.all();
    super.clear();
  }
}

/** The cache directory, or null when caching is off or there is no home. */
export function metadataCacheDir(): string | null {
  const base = cacheBaseDir();
  return base === null ? null : join(base, 'ctf-metadata');
}

let fingerprintValue: string | undefined;

/**
 * What identifies the code that builds the model: the V8 version, this cache format, and
 * the size and mtime of every module of the metadata front ends (this directory and
 * `../ctf2`), or of the bundle when this module is part of one.
 */
function modelCodeFingerprint(): string {
  if (fingerprintValue !== undefined) return fingerprintValue;
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  const files = basename(dir) === 'metadata' ? [dir, join(dir, '..', 'ctf2')].flatMap((d) => readdirSync(d).map((f) => join(d, f))) : [here];
  fingerprintValue = codeFingerprint(MAGIC, files);
  return fingerprintValue;
}

/**
 * True when an event class's field classes refer to nothing outside themselves (no
 * clock mapping, lengths/tags/selectors within the event): such a class can be stored
 * and loaded on its own.
 */
function selfContained(ec: EventClass): boolean {
  const inside = new Set<FieldClass>();
  walkFieldClass(ec.specificContext, (f) => inside.add(f));
  walkFieldClass(ec.payload, (f) => inside.add(f));
  for (const f of inside) {
    switch (f.kind) {
      case 'int':
      case 'varint':
        if (f.mappedClock) return false;
        break;
      case 'sequence':
      case 'dynamic-string':
      case 'blob':
        if (f.lengthField && !inside.has(f.lengthField)) return false;
        break;
      case 'variant':
        if (f.tagField && !inside.has(f.tagField)) return false;
        break;
      case 'optional':
        if (f.selectorField && !inside.has(f.selectorField)) return false;
        break;
      default:
        break;
    }
  }
  return true;
}

/** The key of a model entry for `content` (the metadata file's bytes, or TSDL declarations). */
function entryKey(content: Buffer | string): string {
  return `${contentHash(content)}-${modelCodeFingerprint()}`;
}

/** Loads the cached model of `metadata`, or null (not cached, or an unusable entry). */
function load(dir: string, key: string): TraceClass | null {
  const buf = readOwnFile(join(dir, `${key}.bin`));
  if (buf === null) return null;
  try {
    if (buf.length < PREFIX_BYTES || buf.toString('latin1', 0, 8) !== MAGIC) return null;
    const headerLen = buf.readUInt32LE(8);
    if (PREFIX_BYTES + headerLen > buf.length) return null;
    if (!contentDigest(buf.subarray(PREFIX_BYTES)).equals(buf.subarray(12, PREFIX_BYTES))) return null;
    const header = deserialize(buf.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLen)) as CacheHeader;
    if (header.key !== key) return null;
    const tc = header.tc;
    if (header.events) {
      const base = PREFIX_BYTES + headerLen;
      const loadEvent = (e: LazyEntry) => deserialize(buf.subarray(base + e.start, base + e.end)) as EventClass;
      for (const [scId, list] of header.events) {
        const sc = tc.streamClasses.get(scId);
        if (!sc) return null;
        (sc as { eventClasses: Map<number, EventClass> }).eventClasses = new LazyEventClasses(
          list.map(([id, start, end]) => ({ id, start, end })),
          loadEvent,
        );
      }
    }
    setModelKey(tc, key);
    return tc;
  } catch {
    return null;
  }
}

/**
 * Records the entry key on the model, not enumerable: it names where the model came from
 * and is no part of it (models compare and serialise without it).
 */
function setModelKey(tc: TraceClass, key: string): void {
  Object.defineProperty(tc, 'modelKey', { value: key, enumerable: false, writable: true, configurable: true });
}

/** Writes the cache entry of `tc`; failures are ignored (the cache is an optimisation). */
function store(dir: string, key: string, tc: TraceClass): void {
  try {
    const lazy = [...tc.streamClasses.values()].every((sc) => [...sc.eventClasses.values()].every(selfContained));
    const blobs: Buffer[] = [];
    let events: CacheHeader['events'] = null;
    let headerTc = tc;
    if (lazy) {
      // event classes are serialised one by one and stored after the header
      const perSc: Array<[number, Array<[number, number, number]>]> = [];
      let offset = 0; // within the event classes, which follow the header
      const streamClasses = new Map<number, StreamClass>();
      for (const [scId, sc] of tc.streamClasses) {
        const list: Array<[number, number, number]> = [];
        for (const [id, ec] of sc.eventClasses) {
          const b = serialize(ec);
          list.push([id, offset, offset + b.length]);
          blobs.push(b);
          offset += b.length;
        }
        perSc.push([scId, list]);
        streamClasses.set(scId, { ...sc, eventClasses: new Map() });
      }
      events = perSc;
      headerTc = { ...tc, streamClasses };
    }
    const header = serialize({ key, tc: headerTc, events } satisfies CacheHeader);
    const body = Buffer.concat([header, ...blobs]);
    const prefix = Buffer.alloc(PREFIX_BYTES);
    prefix.write(MAGIC, 0, 'latin1');
    prefix.writeUInt32LE(header.length, 8);
    contentDigest(body).copy(prefix, 12);
    writeFileAtomically(join(dir, `${key}.bin`), Buffer.concat([prefix, body]));
    pruneCacheDir(dir, MAX_ENTRIES);
  } catch {
    // read-only or full disk, permissions, …: the next run decodes the metadata again
  }
}

/**
 * A TSDL metadata seen as declarations shared with other recordings plus a part of its own
 * (UUID, env, clocks; see tsdl-instance.ts).
 */
export interface MetadataInstance {
  readonly declarations: string;
  /** This trace's own UUID, env and clocks (a trace class without event classes). Throws like a full decode. */
  decodeOwnPart(): TraceClass;
}

/**
 * The trace class of the metadata file content `metadata`: from the cache when it holds
 * it; else, when `instance()` tells its declarations and the cache holds a model of the
 * same declarations (another recording), that model with this trace's own UUID, env and
 * clocks; else `decode()` (which throws on invalid metadata: nothing is cached then),
 * whose result is stored for the next time, under its bytes and its declarations.
 */
export function cachedTraceClass(metadata: Buffer, decode: () => TraceClass, instance?: () => MetadataInstance | null): TraceClass {
  const dir = metadataCacheDir();
  if (dir === null) return decode();
  let key: string;
  try {
    key = entryKey(metadata);
  } catch {
    return decode();
  }
  const hit = load(dir, key) ?? readBefore(dir, key);
  if (hit) return hit;
  let inst: MetadataInstance | null = null;
  try {
    inst = instance?.() ?? null;
  } catch {
    // damaged metadata: decode() says what is wrong
  }
  let declKey: string | null = null;
  if (inst !== null) {
    declKey = `decl-${entryKey(inst.declarations)}`;
    const shared = sameDeclarations(dir, key, declKey, inst);
    if (shared) return shared;
  }
  const tc = decode();
  store(dir, key, tc);
  setModelKey(tc, key);
  if (declKey !== null) writeSmallEntry(dir, declKey, { target: key });
  return tc;
}

/** A trace read before through the model of the same declarations (its `inst-` entry), or null. */
function readBefore(dir: string, key: string): TraceClass | null {
  const known = readSmallEntry(dir, `inst-${key}`) as { target?: unknown; own?: OwnPart } | null;
  return known && isEntryKey(known.target) && Array.isArray(known.own?.clocks) ? withOwnPart(dir, known.target, known.own) : null;
}

/**
 * The model the cache holds for the declarations `declKey`, with this trace's own part
 * (remembered under `inst-key` for the next read); null when there is none or the own
 * part does not decode (the full decode then reports the damage).
 */
function sameDeclarations(dir: string, key: string, declKey: string, inst: MetadataInstance): TraceClass | null {
  const target = (readSmallEntry(dir, declKey) as { target?: unknown } | null)?.target;
  // a concurrent first run of this very trace stored it meanwhile
  if (target === key) return load(dir, key);
  if (!isEntryKey(target)) return null;
  let own: OwnPart;
  try {
    const part = inst.decodeOwnPart();
    own = { uuid: part.uuid, env: part.env, clocks: part.clocks };
  } catch {
    return null;
  }
  const tc = withOwnPart(dir, target, own);
  if (tc) writeSmallEntry(dir, `inst-${key}`, { target, own });
  return tc;
}

/** A model entry's key (content hash and code fingerprint), nothing else: small entries name one. */
function isEntryKey(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{32}-[0-9a-f]{16}$/.test(v);
}

/** What a trace does not share with other recordings of the same declarations. */
interface OwnPart {
  readonly uuid: string | null;
  readonly env: TraceClass['env'];
  readonly clocks: TraceClass['clocks'];
}

/**
 * The model of entry `target` (the same declarations) with this trace's UUID, env and
 * clocks; null when there is no such entry or its clocks are not the same ones by name.
 */
function withOwnPart(dir: string, target: string, own: OwnPart): TraceClass | null {
  const tc = load(dir, target);
  if (tc === null || own.clocks.length !== tc.clocks.length) return null;
  const ownClocks = tc.clocks.map((c) => own.clocks.find((o) => o.name === c.name));
  if (ownClocks.some((o) => o === undefined)) return null;
  // in place: stream classes and clock-mapped fields refer to these very objects
  tc.clocks.forEach((c, i) => Object.assign(c, ownClocks[i]));
  tc.uuid = own.uuid;
  (tc as { env: TraceClass['env'] }).env = own.env;
  return tc;
}

/**
 * Small cache entries (which entry holds the model of some declarations; a trace's own
 * part): `name.bin`, a digest of the V8-serialised value, then the value. Null when absent
 * or damaged.
 */
function readSmallEntry(dir: string, name: string): unknown {
  const body = readCheckedFile(join(dir, `${name}.bin`));
  if (body === null) return null;
  try {
    return deserialize(body);
  } catch {
    return null;
  }
}

function writeSmallEntry(dir: string, name: string, value: unknown): void {
  try {
    writeCheckedFile(join(dir, `${name}.bin`), serialize(value));
  } catch {
    // as for store()
  }
}

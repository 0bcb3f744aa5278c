// Input shapes declared as data, the way the API model declares them: each operation's
// module lists its members with type, required, location, length, range, pattern and enum,
// and one generic validator (validate.ts) reads the declaration. The constructors below
// only build those plain objects and let TypeScript infer the validated input's type.

export interface StringShape<E extends string = string> {
  type: 'string';
  min?: number;
  max?: number;
  /** The model's pattern; matched whole (the service anchors it). */
  pattern?: string;
  enum?: readonly E[];
}
export interface NumberShape {
  type: 'integer' | 'float';
  min?: number;
  max?: number;
}
export interface BooleanShape {
  type: 'boolean';
}
export interface TimestampShape {
  type: 'timestamp';
}
export interface ListShape<M extends Shape = Shape> {
  type: 'list';
  member: M;
  min?: number;
  max?: number;
  /** Smithy @uniqueItems: the service rejects repeated entries. */
  unique?: boolean;
}
export interface MapShape<V extends Shape = Shape> {
  type: 'map';
  key: StringShape;
  value: V;
  min?: number;
  max?: number;
}
/** A streaming payload, as Smithy models a @streaming blob: the request body itself, read once as it arrives, never parsed by the wire. */
export interface StreamShape {
  type: 'stream';
}
/** A streaming payload's value: its bytes (content-encoding already undone by the wire) and the check of what the client signed. */
export interface ByteStream {
  /** The body's bytes as they arrive; iterated once. A body that breaks off, or passes the server's limits, throws the error to answer with. */
  chunks: AsyncIterable<Buffer>;
  /** Throws when the bytes read differ from what the client signed; call it before writing anything. */
  verify(): Promise<void>;
}
/** Where a member travels: `payload` is the whole body, for a streaming member. */
export type Location = 'body' | 'uri' | 'query' | 'header' | 'payload';
export interface Member<S extends Shape = Shape, R extends boolean = boolean> {
  shape: S;
  required: R;
  location: Location;
  /** The name on the wire where it differs from the member name (query key, header). */
  wireName?: string;
  /** A member beyond the model (an extension): a --strict server's validation does not see it, as it does not see any member the model lacks. */
  extension?: true;
}
export type Members = Record<string, Member>;
export interface StructureShape<M extends Members = Members> {
  type: 'structure';
  members: M;
}
/** A tagged union: exactly one member must be set. */
export interface UnionShape<M extends Members = Members> {
  type: 'union';
  members: M;
}
export type Shape = StringShape<string> | NumberShape | BooleanShape | TimestampShape | ListShape<any> | MapShape<any> | StructureShape<any> | UnionShape<any> | StreamShape;

// ---- constructors -------------------------------------------------------------------------

export const string = (c: Omit<StringShape, 'type' | 'enum'> = {}): StringShape => ({ type: 'string', ...c });
export const enumOf = <const E extends string>(values: readonly E[]): StringShape<E> => ({ type: 'string', enum: values });
export const integer = (c: Omit<NumberShape, 'type'> = {}): NumberShape => ({ type: 'integer', ...c });
export const float = (c: Omit<NumberShape, 'type'> = {}): NumberShape => ({ type: 'float', ...c });
export const boolean = (): BooleanShape => ({ type: 'boolean' });
export const timestamp = (): TimestampShape => ({ type: 'timestamp' });
export const list = <M extends Shape>(member: M, c: Omit<ListShape, 'type' | 'member'> = {}): ListShape<M> => ({ type: 'list', member, ...c });
export const map = <V extends Shape>(value: V, c: Omit<MapShape, 'type' | 'value' | 'key'> & { key?: StringShape } = {}): MapShape<V> => ({
  type: 'map',
  key: c.key ?? string(),
  value,
  ...(c.min !== undefined ? { min: c.min } : {}),
  ...(c.max !== undefined ? { max: c.max } : {}),
});
export const structure = <M extends Members>(members: M): StructureShape<M> => ({ type: 'structure', members });
export const union = <M extends Members>(members: M): UnionShape<M> => ({ type: 'union', members });

/** Marks a member as farmtally's, beyond the model: under --strict it is as unknown as any other. */
export const extension = <S extends Shape, R extends boolean>(member: Member<S, R>): Member<S, R> => ({ ...member, extension: true });
export const required = <S extends Shape>(shape: S): Member<S, true> => ({ shape, required: true, location: 'body' });
export const optional = <S extends Shape>(shape: S): Member<S, false> => ({ shape, required: false, location: 'body' });
export const uri = <S extends Shape>(shape: S): Member<S, true> => ({ shape, required: true, location: 'uri' });
export const query = <S extends Shape, R extends boolean = false>(shape: S, isRequired?: R): Member<S, R> => ({
  shape,
  required: (isRequired ?? false) as R,
  location: 'query',
});
export const header = <S extends Shape>(wireName: string, shape: S): Member<S, false> => ({ shape, required: false, location: 'header', wireName });
export const streamingPayload = (): Member<StreamShape, true> => ({ shape: { type: 'stream' }, required: true, location: 'payload' });

/** The streaming payload member of an input, if it has one (an operation has at most one). */
export function streamingMemberOf(input: StructureShape): string | undefined {
  return Object.entries(input.members).find(([, member]) => member.location === 'payload')?.[0];
}

// ---- the validated value's type -----------------------------------------------------------

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type RequiredKeys<M extends Members> = { [K in keyof M]: M[K]['required'] extends true ? K : never }[keyof M];
type OptionalKeys<M extends Members> = Exclude<keyof M, RequiredKeys<M>>;

export type Infer<S> = S extends StreamShape
  ? ByteStream
  : S extends StringShape<infer E>
  ? E
  : S extends NumberShape
    ? number
    : S extends BooleanShape
      ? boolean
      : S extends TimestampShape
        ? Date
        : S extends ListShape<infer M>
          ? Infer<M>[]
          : S extends MapShape<infer V>
            ? Record<string, Infer<V>>
            : S extends StructureShape<infer M>
              ? Simplify<{ [K in RequiredKeys<M>]: Infer<M[K]['shape']> } & { [K in OptionalKeys<M>]?: Infer<M[K]['shape']> }>
              : S extends UnionShape<infer M>
                ? Simplify<{ [K in keyof M]?: Infer<M[K]['shape']> }>
                : unknown;

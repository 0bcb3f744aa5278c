// An API operation as data plus behaviour: its HTTP binding and input shape (read by the
// wire layer and the generic validator), optional checks that span members, and a handler
// that only does this operation's work.
import type { FieldFailure } from './errors.js';
import type { OperationContext } from './context.js';
import type { Infer, StructureShape } from './validation/shapes.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Operation<S extends StructureShape = StructureShape, O = unknown> {
  name: string;
  method: HttpMethod;
  /** The model's requestUri, with `{member}` placeholders. */
  path: string;
  input: S;
  /**
   * An extension of farmtally's beyond the service's API (deleting data, say): not served at
   * all under --strict, where its route answers as any unknown operation does.
   */
  extension?: boolean;
  /** Rules across members or modes (strict/extended), run after the shape's own checks pass. */
  check?: (input: Infer<S>, ctx: OperationContext) => FieldFailure[];
  handle: (input: Infer<S>, ctx: OperationContext) => Promise<O>;
}

export function defineOperation<S extends StructureShape, O>(op: Operation<S, O>): Operation<S, O> {
  return op;
}

/** An operation with its input type erased, as the registry and the wire layer hold it. */
export interface AnyOperation {
  name: string;
  method: HttpMethod;
  path: string;
  input: StructureShape;
  extension?: boolean;
  check?: (input: never, ctx: OperationContext) => FieldFailure[];
  handle: (input: never, ctx: OperationContext) => Promise<unknown>;
}

// An operation's output that is a blob, not JSON: its bytes streamed as the response body
// (as Smithy models an output member with @httpPayload on a streaming blob), with headers
// for its other members. The wire sends it and calls `release` once the response has ended,
// completed or cut short.
export class BlobOutput {
  constructor(
    readonly contentType: string,
    readonly bytes: number,
    readonly chunks: () => AsyncIterable<Buffer>,
    /** Output members bound to headers (`x-farmtally-…`). */
    readonly headers: Readonly<Record<string, string>>,
    readonly release: () => Promise<void>,
  ) {}
}

// Reading an HTTP answer handed in by an edge: at most `max` bytes, refusing a larger body as soon as
// it shows (declared or streamed), without reading the rest into memory.

/** The body's bytes, or undefined when it is larger than `max` (the rest is never read). */
export async function readBoundedBody(
  response: Response,
  max: number,
): Promise<Buffer | undefined> {
  const declared = Number(response.headers.get('content-length') ?? 'NaN');
  if (declared > max) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early cancels the stream: the rest is never read.
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) return undefined;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

// A failing case written so a person can replay it: the request as it went on the wire
// (printable bytes as text, others as \xNN), a one-line Node command that sends exactly those
// bytes, and what came back.
import { NoAnswer, rawRequestBytes, type RawHttpRequest, type RawHttpResponse } from './raw-http.js';

const SHOWN_BYTES = 1500;
/** Up to this many request bytes go into the replay command (as base64); longer ones are described. */
const REPLAYABLE_BYTES = 4 * 1024;

/** The bytes as text: printable ASCII as is, others as \\xNN, line ends shown and kept, a run of one byte as <'x' × N>; about `limit` characters. */
export function printable(bytes: Buffer, limit = SHOWN_BYTES): string {
  let out = '';
  let i = 0;
  while (i < bytes.length && out.length < limit) {
    const b = bytes[i]!;
    let run = 1;
    while (i + run < bytes.length && bytes[i + run] === b) run++;
    const one = b === 0x0a ? '\\n\n' : b === 0x0d ? '\\r' : b === 0x5c ? '\\\\' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    out += run >= 16 ? `<${JSON.stringify(one)} × ${run}>` : one.repeat(run);
    i += run;
  }
  return i < bytes.length ? `${out}... (${bytes.length} bytes in all)` : out;
}

export function describeRequest(raw: RawHttpRequest): string {
  const bytes = rawRequestBytes(raw);
  const lines = [`request (${bytes.length} bytes on the wire${raw.endAfterBody ? ', then the client hung up' : ''}):`, printable(bytes).replace(/^/gm, '    ')];
  if (bytes.length <= REPLAYABLE_BYTES) {
    lines.push(
      'replay against a server on PORT:',
      `    node -e "const s=require('net').connect(+process.argv[1],'127.0.0.1',()=>s.write(Buffer.from(process.argv[2],'base64')));s.pipe(process.stdout);setTimeout(()=>s.destroy(),5000)" PORT ${bytes.toString('base64')}`,
    );
  }
  return lines.join('\n');
}

export function describeAnswer(answer: RawHttpResponse | NoAnswer | undefined): string {
  if (!answer) return 'no request was sent';
  if (answer instanceof NoAnswer) return `answer: none (${answer.message})${answer.received.length ? `; received: ${printable(answer.received, 500)}` : ''}`;
  const headers = Object.entries(answer.headers).map(([k, v]) => `${k}: ${v.length > 200 ? `${v.slice(0, 200)}...` : v}`).join('\n    ');
  return `answer: ${answer.status} in ${Math.round(answer.ms)} ms\n    ${headers}\n    ${printable(answer.body, 800)}`;
}

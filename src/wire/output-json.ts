// restJson1 output: an operation's output as its JSON body, in parts. Members the operation
// already serialized (JsonText: a result page's rows) are written as they are, the others as
// JSON.stringify writes them, so a page costs neither a serialization nor a copy of its rows.
import { JsonText } from '../operations/json-text.js';

export type BodyParts = (string | Uint8Array)[];

export function outputJson(output: object | undefined): BodyParts {
  const parts: BodyParts = [];
  let text = '{';
  let first = true;
  for (const [key, value] of Object.entries(output ?? {})) {
    const json = value instanceof JsonText ? value : (JSON.stringify(value) as string | undefined);
    // As JSON.stringify does: members that have no JSON (undefined, functions) are left out.
    if (json === undefined) continue;
    text += `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    if (typeof json === 'string') {
      text += json;
      continue;
    }
    for (const part of json.parts) {
      if (typeof part === 'string') text += part;
      else {
        parts.push(text, part);
        text = '';
      }
    }
  }
  parts.push(`${text}}`);
  return parts.filter((part) => part.length > 0);
}

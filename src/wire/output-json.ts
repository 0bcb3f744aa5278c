// restJson1 output: an operation's output as its JSON body. Members the operation already
// serialized (JsonText: a result page's rows) are written as they are, the others as
// JSON.stringify writes them, so a page costs a join instead of a serialization.
import { JsonText } from '../operations/json-text.js';

export function outputJson(output: object | undefined): string {
  const members: string[] = [];
  for (const [key, value] of Object.entries(output ?? {})) {
    const json = value instanceof JsonText ? value.text : (JSON.stringify(value) as string | undefined);
    // As JSON.stringify does: members that have no JSON (undefined, functions) are left out.
    if (json !== undefined) members.push(`${JSON.stringify(key)}:${json}`);
  }
  return `{${members.join(',')}}`;
}

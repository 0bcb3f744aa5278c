// `--tls-cert FILE --tls-key FILE`: the PEM files Node's own TLS serves HTTPS with, read and
// tried together at start-up, so that a missing file, a file that is not PEM or a key that
// does not belong to the certificate stops the start with a message saying which.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export function readTls({ certFile, keyFile }: TlsFiles): { cert: Buffer; key: Buffer } {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const cert = read(certFile, 'certificate (--tls-cert)');
  const key = read(keyFile, 'private key (--tls-key)');
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`the TLS certificate ${certFile} and key ${keyFile} cannot be used (${why}). Give a PEM certificate (chain) and its own PEM private key.`);
  }
  return { cert, key };
}

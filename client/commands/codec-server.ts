import type { Command } from 'commander';
import { resolveSecret, type SecretRef } from '../../config';
import { codecOf, EncryptionError, type EncryptionConfig } from '../../config/encryption';
import { startCodecServer, type RunningCodecServer } from '../codec-server';
import { ExitCode } from '../outcome';
import { clientConfigOf } from './common';

/** A token shorter than this is refused: it is all that stands between the history and a reader. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * `runway codec-server`: serves the codec of `temporal.encryption` to the Web UI and the Temporal CLI, for holders of
 * `codecServer.token`, until SIGINT/SIGTERM. Keys, token and address are checked before anything listens.
 */
export async function codecServer(_opts: unknown, command: Command): Promise<number> {
  const { file, temporal } = clientConfigOf(command);
  const running = await serveCodec(temporal.encryption, file, (line) => console.error(`runway: ${line}`));
  console.log(`codec server on ${running.endpoint} — Ctrl-C stops it`);
  console.log(
    `  Temporal CLI: temporal workflow show -w <id> --codec-endpoint ${running.endpoint} --codec-auth "Bearer $TOKEN"`,
  );
  console.log(`  Web UI: log in at ${running.endpoint}/ once, then use it as the codec endpoint with credentials`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  return ExitCode.Succeeded;
}

/**
 * Starts the codec server `encryption.codecServer` describes (also what `runway dev` does beside the dev server, whose
 * Web UI's origin it then allows too: `devOrigin`).
 * Everything that can be wrong with it — no encryption, no codecServer, a bad key or token, an address in use — is an
 * {@link EncryptionError} thrown before it listens.
 */
export async function serveCodec(
  encryption: EncryptionConfig | undefined,
  file: string | undefined,
  log: (line: string) => void,
  devOrigin?: string,
): Promise<RunningCodecServer> {
  const where = file ?? 'the config';
  if (!encryption) throw new EncryptionError(`${where}: temporal.encryption is not set: payloads are not encrypted`);
  const { codecServer } = encryption;
  if (!codecServer) {
    throw new EncryptionError(
      `${where}: temporal.encryption.codecServer is not set: add { token: { env: NAME } } (and origins for the Web UI)`,
    );
  }
  const codec = codecOf(encryption);
  const token = resolveToken(codecServer.token);
  if (!/^(127\.|localhost:|\[::1\]:)/.test(codecServer.listen)) {
    log(
      `${codecServer.listen} is not a loopback address: put the codec server behind TLS, the token crosses the network`,
    );
  }
  const origins = [...codecServer.origins, ...(devOrigin ? [devOrigin] : [])];
  return startCodecServer({ codec, token, listen: codecServer.listen, origins, log });
}

function resolveToken(ref: SecretRef): string {
  const what = 'temporal.encryption.codecServer.token';
  let token: string;
  try {
    token = resolveSecret(ref, what).reveal();
  } catch (err) {
    throw new EncryptionError((err as Error).message);
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new EncryptionError(
      `${what}: the token is shorter than ${MIN_TOKEN_LENGTH} characters (make one with \`openssl rand -hex 24\`)`,
    );
  }
  return token;
}

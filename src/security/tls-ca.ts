import {X509Certificate} from 'node:crypto';
import fs from 'node:fs';
import {MqError} from '../errors.js';

/**
 * Reads the CA bundle a client trusts (`--ca`, `MQ_CA`, a context's `ca`) and checks that it starts with a PEM
 * certificate, so that a wrong path is reported as such rather than as an untrusted server certificate later.
 */
export function readCaFile(file: string, source = '--ca'): string {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new MqError('INVALID_CONFIG', `cannot read the CA file ${file} (${source}): ${(error as Error).message}`);
  }
  try {
    new X509Certificate(pem);
  } catch (error) {
    throw new MqError('INVALID_CONFIG', `the CA file ${file} (${source}) does not hold a PEM certificate: ${(error as Error).message}`);
  }
  return pem;
}

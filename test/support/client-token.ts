import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createSystemClient } from '../../src/controls/access/auth/system-clients.ts';
import type { Store } from '../../src/store/store.ts';

/** Registers a system client and signs it in with a SMART backend-services assertion: returns a bearer token. */
export async function systemClientToken(store: Store, baseUrl: string, id: string, scopes: string[]): Promise<string> {
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const created = await createSystemClient(store.db, { id, name: `Test ${id}`, scopes, publicJwk: await exportJWK(publicKey), expiresAt: new Date(Date.now() + 86_400_000) });
  const tokenUrl = `${baseUrl}/oauth2/token`;
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'ES384', kid: created.kid, typ: 'JWT' }).setIssuer(id).setSubject(id).setAudience(tokenUrl).setIssuedAt(now).setExpirationTime(now + 240).setJti(randomUUID()).sign(privateKey);
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion, scope: scopes.join(' ') }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`the client could not sign in (${response.status})`);
  return body.access_token;
}

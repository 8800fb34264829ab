import { randomUUID } from 'node:crypto';
import { TEST_ADMIN_PASSWORD, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, httpRequest, startLocalPlatform, type LocalPlatform } from './local-platform';

/**
 * A brand's domains as the router serves them: a host added or removed through the admin
 * domain is served or refused within seconds, by the running router, without a restart (the
 * admin domain's notice on `rgb:brands:changed` makes the router's catalogue reload).
 */
let platform: LocalPlatform;
let url: string;
let adminToken: string;

beforeAll(async () => {
  platform = await startLocalPlatform();
  // The catalogue's timed reload is far off: only the notice can make the change seen in time.
  url = (await platform.router({ env: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0', RATE_LIMIT_CALLER_PER_MINUTE: '0' } })).url;
  const login = await graphql(url, `mutation { staffLogin(input: { username: "admin", password: "${TEST_ADMIN_PASSWORD}" }) { accessToken } }`);
  adminToken = login.body.data!.staffLogin.accessToken;
});
afterAll(async () => {
  await platform?.close();
});

/** `currentBrand` asked on `host`: the brand's code, or the router's refusal. */
async function brandOnHost(host: string): Promise<{ status: number; code?: string; error?: string }> {
  const answer = await httpRequest(`${url}/graphql`, 'POST', { host, 'content-type': 'application/json' }, JSON.stringify({ query: '{ currentBrand { code } }' }));
  const body = JSON.parse(answer.text) as { data?: { currentBrand: { code: string } }; errors?: { extensions?: { code?: string } }[] };
  return { status: answer.status, code: body.data?.currentBrand.code, error: body.errors?.[0]?.extensions?.code };
}

async function asAdmin(query: string, variables: Record<string, unknown>) {
  const answer = await graphql(url, query, { token: adminToken, variables });
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!;
}

describe('brand domains at the router', () => {
  it('serves a newly added host within seconds and refuses it once removed, without a restart', async () => {
    const host = `casino-${randomUUID().slice(0, 8)}.acme.example`;
    expect(await brandOnHost(host)).toMatchObject({ status: 421, error: 'UNKNOWN_HOST' });

    await asAdmin('mutation ($id: ID!, $host: String!) { addBrandDomain(brandId: $id, host: $host) { id } }', { id: platform.admin.brands.acme.id, host });
    const served = await waitFor('the new host served', async () => {
      const answer = await brandOnHost(host);
      return answer.status === 200 && answer;
    }, 5_000);
    expect(served).toEqual({ status: 200, code: 'acme', error: undefined });

    await asAdmin('mutation ($id: ID!, $host: String!) { removeBrandDomain(brandId: $id, host: $host) { id } }', { id: platform.admin.brands.acme.id, host });
    const refused = await waitFor('the removed host refused', async () => {
      const answer = await brandOnHost(host);
      return answer.status === 421 && answer;
    }, 5_000);
    expect(refused).toMatchObject({ error: 'UNKNOWN_HOST' });
    // The brand's other host is untouched.
    expect(await brandOnHost('acme.localhost')).toMatchObject({ status: 200, code: 'acme' });
  });

  it('serves a brand created through the router on its own host', async () => {
    const code = `b${randomUUID().replaceAll('-', '').slice(0, 8)}`;
    const host = `${code}.example`;
    await asAdmin('mutation ($input: CreateBrandInput!) { createBrand(input: $input) { id } }', {
      input: { code, name: 'Brand Via Router', currency: 'EUR', timezone: 'Europe/Paris', domains: [host] },
    });
    const served = await waitFor('the new brand served', async () => {
      const answer = await brandOnHost(host);
      return answer.status === 200 && answer;
    }, 5_000);
    expect(served.code).toBe(code);
  });
});

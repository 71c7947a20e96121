// The partner scenario through a TypeScript client generated from the committed contract (openapi-typescript types,
// openapi-fetch calls). tsc type-checks it against the generated types first, so a contract a client cannot be
// written against fails the build; then Node's test runner runs it against the API named by REFERRALNET_API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import createClient from 'openapi-fetch';
import type { paths } from './generated/referral-network.js';

const baseUrl = process.env.REFERRALNET_API ?? assert.fail('REFERRALNET_API is not set');
const adminKey = process.env.REFERRALNET_ADMIN_KEY ?? assert.fail('REFERRALNET_ADMIN_KEY is not set');

const client = (key: string) => createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}`, 'Accept-Language': 'sr-Latn' } });

test('a partner submits, the receiver acts with If-Match, and the partner reads the outcome', async () => {
  const admin = client(adminKey);
  const centre = await admin.POST('/api/v1/organisations', {
    body: { name: 'Centar za socijalni rad', kind: 'centre_for_social_work', municipality: 'Beograd', services: ['guardianship'], languages: ['sr'] },
  });
  assert.equal(centre.response.status, 201);
  const ngo = await admin.POST('/api/v1/organisations', {
    body: { name: 'Pravna pomoć', kind: 'ngo', municipality: 'Beograd', services: ['legal_aid'], languages: ['sr', 'ar'] },
  });
  assert.ok(centre.data && ngo.data);

  const keyFor = async (by: ReturnType<typeof client>, organisation: string, role: 'org_admin' | 'partner_system' | 'caseworker') => {
    const made = await by.POST('/api/v1/organisations/{id}/api-keys', { params: { path: { id: organisation } }, body: { name: role, roles: [role] } });
    assert.equal(made.response.status, 201, JSON.stringify(made.error));
    return made.data!.key;
  };
  const partner = client(await keyFor(client(await keyFor(admin, centre.data.id, 'org_admin')), centre.data.id, 'partner_system'));
  const receiver = client(await keyFor(client(await keyFor(admin, ngo.data.id, 'org_admin')), ngo.data.id, 'caseworker'));

  const submitted = await partner.POST('/api/v1/referrals', {
    params: { header: { 'Idempotency-Key': crypto.randomUUID() } },
    body: {
      receiverOrganisationId: ngo.data.id, services: ['legal_aid'], urgency: 'urgent', reason: 'Needs advice before the asylum interview',
      person: { givenName: 'Zainab', familyName: 'Al-Hassan', birthYear: 1994, sex: 'female', nationality: 'SY', languages: ['ar'],
        legalStatus: 'asylum_seeker', vulnerabilities: ['single_parent'] },
      consent: { givenBy: 'person', method: 'verbal_with_interpreter' },
    },
  });
  assert.equal(submitted.response.status, 201, JSON.stringify(submitted.error));
  const referral = submitted.data!;
  assert.equal(referral.status, 'requested');
  assert.equal(referral.onward, null);

  // Strict input: a pasted answer member is refused, naming it, in the language asked for; codes stay English.
  const strict = await partner.POST('/api/v1/referrals', {
    // @ts-expect-error status is not a member of the request: the generated types refuse it too
    body: { receiverOrganisationId: ngo.data.id, services: ['legal_aid'], urgency: 'urgent', reason: 'x', status: 'accepted' },
  });
  assert.equal(strict.response.status, 400);
  assert.ok(strict.error?.errors?.['status'], JSON.stringify(strict.error));
  assert.match(strict.error?.traceId ?? '', /.+/);

  const inbox = await receiver.GET('/api/v1/referrals', { params: { query: { box: 'inbox', limit: 10 } } });
  assert.ok(inbox.data?.items.some((r) => r.id === referral.id));
  assert.equal(typeof inbox.data?.nextCursor === 'string' || inbox.data?.nextCursor === null, true);

  const act = async (action: '/api/v1/referrals/{id}/acknowledge' | '/api/v1/referrals/{id}/accept' | '/api/v1/referrals/{id}/start', version: number) => {
    const done = await receiver.POST(action, { params: { path: { id: referral.id }, header: { 'If-Match': `"${version}"` } }, body: {} });
    assert.equal(done.response.status, 200, JSON.stringify(done.error));
    assert.equal(done.response.headers.get('ETag'), `"${version + 1}"`);
    return done.data!;
  };
  await act('/api/v1/referrals/{id}/acknowledge', 1);
  // A stale If-Match is 412, and nothing changes.
  const stale = await receiver.POST('/api/v1/referrals/{id}/accept', { params: { path: { id: referral.id }, header: { 'If-Match': '"1"' } } });
  assert.equal(stale.response.status, 412);
  await act('/api/v1/referrals/{id}/accept', 2);
  await act('/api/v1/referrals/{id}/start', 3);
  const completed = await receiver.POST('/api/v1/referrals/{id}/complete', {
    params: { path: { id: referral.id }, header: { 'If-Match': '"4"' } }, body: { outcome: 'service_provided', note: 'Represented at the interview' },
  });
  assert.equal(completed.data?.status, 'completed');

  const final = await partner.GET('/api/v1/referrals/{id}', { params: { path: { id: referral.id } } });
  assert.equal(final.data?.outcome, 'service_provided');
  const timeline = await partner.GET('/api/v1/referrals/{id}/timeline', { params: { path: { id: referral.id } } });
  assert.deepEqual(timeline.data?.items.map((e) => e.action).slice(-4), ['acknowledge', 'accept', 'start', 'complete']);
  const webhooks = await partner.GET('/api/v1/webhooks');
  assert.deepEqual(webhooks.data, { items: [], nextCursor: null });
});

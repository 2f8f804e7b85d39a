import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { localSettings, readyBanner, type ReadyFacts } from '../system/local-settings';

const facts = (env: Record<string, string>, registryToken: string): ReadyFacts => ({
  seconds: 4.25,
  gatewayUrl: 'http://127.0.0.1:3100',
  registryUrl: 'http://127.0.0.1:8600',
  registryToken,
  settings: localSettings(env),
  embeddedMongoUrl: 'mongodb://127.0.0.1:40000/products',
  replicaLines: [],
});

describe('what npm start runs with and prints', () => {
  test('when REGISTRY_TOKEN is set, then npm start gives it to the registry and prints a curl with it', () => {
    const token = 'my-own-registry-token-0123456789abcdef';
    const settings = localSettings({ REGISTRY_TOKEN: token });
    assert.equal(settings.registryToken, token);
    const banner = readyBanner(facts({ REGISTRY_TOKEN: token }, token));
    assert.match(
      banner,
      new RegExp(`Registry: +http://127\\.0\\.0\\.1:8600 +\\(token, REGISTRY_TOKEN: ${token}\\)`),
    );
    assert.ok(
      banner
        .split('\n')
        .includes(`  curl -s -H 'Authorization: Bearer ${token}' 'http://127.0.0.1:8600/services'`),
      banner,
    );
  });

  test('when REGISTRY_TOKEN is unset or empty, then the launcher makes one and the banner says it is for this run', () => {
    assert.equal(localSettings({}).registryToken, undefined);
    assert.equal(localSettings({ REGISTRY_TOKEN: '' }).registryToken, undefined);
    const banner = readyBanner(facts({}, 'a'.repeat(48)));
    assert.match(banner, /\(token, random for this run: a{48}\)/);
    assert.match(
      banner,
      /curl -s -H 'Authorization: Bearer a{48}' 'http:\/\/127\.0\.0\.1:8600\/services'/,
    );
  });

  test('when started, then the banner gives the gateway, its docs, a first curl and the admin account', () => {
    const banner = readyBanner(facts({}, 't'.repeat(48)));
    assert.match(banner, /^The shop is ready in 4\.3 s\.$/m);
    assert.match(
      banner,
      /Gateway: +http:\/\/127\.0\.0\.1:3100 +\(API docs: http:\/\/127\.0\.0\.1:3100\/api\/docs\)/,
    );
    assert.match(banner, /^ {2}curl -s 'http:\/\/127\.0\.0\.1:3100\/api\/products\?limit=3'$/m);
    assert.match(banner, /Admin account: +admin@shop\.local \/ admin-dev-password/);
    assert.match(banner, /MongoDB: +mongodb:\/\/127\.0\.0\.1:40000\/products \(embedded/);
  });
});

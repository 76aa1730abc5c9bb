// Every case of cases.json through the function's own parse and grant: the rules `serve` follows
// (crates/core/src/oauth.rs runs the same cases).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { OAuthError, grant, parse } from "../index.mjs";

const doc = JSON.parse(readFileSync(new URL("../cases.json", import.meta.url)));
const allowed = { routeScopes: doc.allowed.route_scopes, audiences: doc.allowed.audiences, maxTtl: doc.allowed.max_ttl };

export function authorizationOf(c) {
  if (!c.authorization) return undefined;
  if (c.authorization.raw) return c.authorization.raw;
  const [id, secret] = c.authorization.basic;
  return `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
}

export function bodyOf(c) {
  return c.body_base64 !== undefined ? Buffer.from(c.body_base64, "base64") : Buffer.from(c.body, "utf8");
}

for (const c of doc.cases) {
  test(c.name, () => {
    let outcome;
    try {
      const req = parse(c.method, c.content_type ?? undefined, authorizationOf(c), bodyOf(c));
      const record = doc.clients.find((r) => r.client_id === req.clientId) ?? null;
      outcome = { ok: grant(req, record, allowed, c.now ?? doc.now) };
    } catch (e) {
      assert.ok(e instanceof OAuthError, String(e));
      outcome = { err: e };
    }
    const want = c.expect;
    if (want.status === 200) {
      assert.ok(outcome.ok, outcome.err && `${outcome.err.status} ${outcome.err.error}: ${outcome.err.description}`);
      if (want.scope !== undefined) assert.equal(outcome.ok.scopes.join(" "), want.scope);
      if (want.expires_in !== undefined) assert.equal(outcome.ok.ttl, want.expires_in);
      if (want.audience !== undefined) assert.equal(outcome.ok.audience, want.audience);
    } else {
      assert.ok(outcome.err, `expected ${want.status} ${want.error}`);
      assert.equal(outcome.err.status, want.status);
      assert.equal(outcome.err.error, want.error);
      assert.equal(outcome.err.basicChallenge, want.challenge);
    }
  });
}

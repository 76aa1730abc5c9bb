// The function's handler against the AWS emulator: client records and keys in its SSM and KMS, API Gateway's
// payload 2.0 events (an HTTP API's) and Lambda proxy events (a REST API's) in, answers out, tokens checked with the key's public half. Run by tests/function.rs,
// which starts the emulator and sets AWS_ENDPOINT_URL; skipped nowhere: without the variable it fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, verify as rsaVerify } from "node:crypto";

import { SSM } from "@aws-sdk/client-ssm";
import { KMS } from "@aws-sdk/client-kms";

import { CLIENT_CACHE_SECONDS, REREAD_ON_MISS_SECONDS, clientStore, hashSecret, makeHandler } from "../index.mjs";

const endpoint = process.env.AWS_ENDPOINT_URL;
assert.ok(endpoint, "AWS_ENDPOINT_URL must name the emulator (tests/function.rs sets it)");
const config = { endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } };
const aws = { ssm: new SSM(config), kms: new KMS(config) };
const STACK = "fn";
const ISSUER = "https://fn-issuer.s3.us-east-1.amazonaws.com";
const SECRET = "jwtss_function-test-secret";

async function putClient(id, record, tagged = true) {
  const name = `/jwtstack/${STACK}/clients/${id}`;
  await aws.ssm.putParameter({
    Name: name,
    Type: "String",
    Value: JSON.stringify({ name: id, client_id: id, disabled: false, created_at: 1, secrets: [{ sha256: hashSecret(SECRET) }], ...record }),
    Overwrite: true,
  });
  if (tagged) await aws.ssm.addTagsToResource({ ResourceType: "Parameter", ResourceId: name, Tags: [{ Key: "jwtstack:stack", Value: STACK }] });
  return name;
}

function event(body, headers = {}) {
  return {
    version: "2.0",
    routeKey: "POST /oauth2/token",
    rawPath: "/oauth2/token",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    requestContext: { http: { method: "POST", path: "/oauth2/token" } },
    body: Buffer.from(body).toString("base64"),
    isBase64Encoded: true,
  };
}

// A REST API's Lambda proxy event: the body as text, each header's last value in `headers` and every value in
// `multiValueHeaders` (API Gateway Developer Guide, "Set up Lambda proxy integrations").
function restEvent(body, headers = {}, method = "POST") {
  const all = { "Content-Type": ["application/x-www-form-urlencoded"], ...headers };
  return {
    resource: "/oauth2/token",
    path: "/oauth2/token",
    httpMethod: method,
    headers: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v[v.length - 1]])),
    multiValueHeaders: all,
    requestContext: { httpMethod: method, resourcePath: "/oauth2/token", stage: "live" },
    body,
    isBase64Encoded: false,
  };
}

const basic = (id, secret) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}` });

function decode(token) {
  const [h, c] = token.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url")));
  return { header: h, claims: c };
}

function checks(token, publicKey) {
  const [h, c, s] = token.split(".");
  return rsaVerify("sha256", Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, "base64url"));
}

// A new RSA key stored as the stack keeps its keys in SSM: its parameter's name and its public half.
async function putSsmKey(kid) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyName = `/jwtstack/${STACK}/keys/${kid}`;
  await aws.ssm.putParameter({
    Name: keyName,
    Type: "SecureString",
    Value: privateKey.export({ type: "pkcs8", format: "pem" }),
    Overwrite: true,
  });
  return { keyName, publicKey };
}

function env(key, kid) {
  return {
    JWTSTACK_STACK: STACK,
    JWTSTACK_ISSUER: ISSUER,
    JWTSTACK_AUDIENCES: JSON.stringify(["fn-api"]),
    JWTSTACK_ROUTE_SCOPES: JSON.stringify(["lists.read", "lists.write"]),
    JWTSTACK_TTL: "600",
    JWTSTACK_KID: kid,
    JWTSTACK_KEY: key,
  };
}

test("a client gets a token signed by the SSM key, and every refusal is logged without its secret", async () => {
  const { keyName, publicKey } = await putSsmKey("fn-k1");
  await putClient("cid-reader", { scopes: ["lists.read"] });
  const logged = [];
  const handler = makeHandler({ aws, env: env(`ssm:${keyName}`, "fn-k1"), log: (l) => logged.push(l) });

  const ok = await handler(event("grant_type=client_credentials", basic("cid-reader", SECRET)));
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(ok.headers["cache-control"], "no-store");
  const body = JSON.parse(ok.body);
  assert.deepEqual([body.token_type, body.expires_in, body.scope], ["Bearer", 600, "lists.read"]);
  const { header, claims } = decode(body.access_token);
  assert.deepEqual(header, { alg: "RS256", typ: "JWT", kid: "fn-k1" });
  assert.deepEqual([claims.iss, claims.aud, claims.sub, claims.client_id], [ISSUER, "fn-api", "cid-reader", "cid-reader"]);
  assert.equal(claims.exp - claims.iat, 600);
  assert.ok(checks(body.access_token, publicKey), "the signature checks with the key's public half");

  const wrong = await handler(event("grant_type=client_credentials", basic("cid-reader", "jwtss_wrong")));
  assert.equal(wrong.statusCode, 401);
  assert.equal(JSON.parse(wrong.body).error, "invalid_client");
  assert.match(wrong.headers["www-authenticate"], /^Basic /);
  // A secret pasted into the client id's field is not logged as the client id.
  const pasted = await handler(event(`grant_type=client_credentials&client_id=${SECRET}&client_secret=x`));
  assert.equal(pasted.statusCode, 401);
  const post = await handler(event(`grant_type=client_credentials&client_id=cid-reader&client_secret=${SECRET}&scope=lists.write`));
  assert.equal(post.statusCode, 400);
  assert.equal(JSON.parse(post.body).error, "invalid_scope");
  assert.ok(logged.some((l) => l.includes('"invalid_client"') && l.includes("cid-reader")), logged.join("\n"));
  assert.ok(!logged.join("\n").includes(SECRET) && !logged.join("\n").includes("jwtss_wrong"));

  // A record planted without the stack's tag authenticates no one.
  await putClient("cid-planted", { scopes: ["lists.read"] }, false);
  const planted = await handler(event("grant_type=client_credentials", basic("cid-planted", SECRET)));
  assert.equal(planted.statusCode, 401);
});

test("a REST API's event is answered as an HTTP API's, and two Authorization headers are not read as one", async () => {
  const { keyName, publicKey } = await putSsmKey("fn-rest");
  await putClient("cid-rest", { scopes: ["lists.read"] });
  const handler = makeHandler({ aws, env: env(`ssm:${keyName}`, "fn-rest"), log: () => {} });
  const auth = [basic("cid-rest", SECRET).authorization];

  const ok = await handler(restEvent("grant_type=client_credentials", { Authorization: auth }));
  assert.equal(ok.statusCode, 200, ok.body);
  const token = JSON.parse(ok.body).access_token;
  assert.equal(decode(token).claims.client_id, "cid-rest");
  assert.ok(checks(token, publicKey));

  // The last Authorization header alone would authenticate: both together must not.
  const twice = await handler(
    restEvent("grant_type=client_credentials", { Authorization: [basic("cid-rest", "jwtss_wrong").authorization, ...auth] }),
  );
  assert.ok(twice.statusCode >= 400 && twice.statusCode < 500, `${twice.statusCode} ${twice.body}`);
  const get = await handler(restEvent("grant_type=client_credentials", { Authorization: auth }, "GET"));
  assert.equal(get.statusCode, 405);
  assert.equal(get.headers.allow, "POST");
  const form = await handler(restEvent("grant_type=client_credentials", { "content-type": ["application/json"], Authorization: auth }));
  assert.equal(JSON.parse(form.body).error, "invalid_request", "two content types, joined, are not the form's");
});

test("a KMS key signs each token", async () => {
  const key = await aws.kms.createKey({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" });
  const keyId = key.KeyMetadata.KeyId;
  const pub = await aws.kms.getPublicKey({ KeyId: keyId });
  const publicKey = createPublicKey({ key: Buffer.from(pub.PublicKey), format: "der", type: "spki" });
  await putClient("cid-kms", { scopes: ["lists.write"] });
  const handler = makeHandler({ aws, env: env(`kms:${keyId}`, "fn-kms"), log: () => {} });
  const ok = await handler(event("grant_type=client_credentials", basic("cid-kms", SECRET)));
  assert.equal(ok.statusCode, 200, ok.body);
  const token = JSON.parse(ok.body).access_token;
  assert.equal(decode(token).header.kid, "fn-kms");
  assert.ok(checks(token, publicKey), "KMS's signature checks with its public key");

  // A signing input over KMS's 4,096-byte RAW limit goes as its SHA-256 DIGEST (the emulator signs a digest as
  // KMS does: tests/support/moto_kms.py).
  const many = Array.from({ length: 50 }, (_, i) => `scope.${i}.${"x".repeat(90)}`);
  await putClient("cid-many", { scopes: many });
  const wide = makeHandler({ aws, env: { ...env(`kms:${keyId}`, "fn-kms"), JWTSTACK_ROUTE_SCOPES: JSON.stringify(many) }, log: () => {} });
  const big = await wide(event("grant_type=client_credentials", basic("cid-many", SECRET)));
  assert.equal(big.statusCode, 200, big.body);
  const bigToken = JSON.parse(big.body).access_token;
  assert.ok(bigToken.split(".").slice(0, 2).join(".").length > 4096, "the signing input is over the RAW limit");
  assert.ok(checks(bigToken, publicKey), "the digest's signature checks with the key's public half");
});

test("client records are read whole: a removed client is refused once the reading is older than the bound, a new one is found within seconds", async () => {
  const name = await putClient("cid-cached", { scopes: ["lists.read"] });
  let now = 1_000;
  const lookup = clientStore(aws, STACK, () => now);
  assert.equal((await lookup("cid-cached")).client_id, "cid-cached");
  await aws.ssm.deleteParameter({ Name: name });
  now += CLIENT_CACHE_SECONDS - 1;
  assert.ok(await lookup("cid-cached"), "still cached within the bound");
  now += 1;
  assert.equal(await lookup("cid-cached"), null, "gone once the bound has passed");
  await putClient("cid-new", { scopes: ["lists.read"] });
  assert.equal(await lookup("cid-new"), null, "read a moment ago: not read again at once");
  now += REREAD_ON_MISS_SECONDS;
  assert.equal((await lookup("cid-new")).client_id, "cid-new", "found once the reading is a few seconds old");
  assert.equal(await lookup("../keys/fn-k1"), null, "a client id that is not one jwtstack makes is never looked up");
  // A record edited by hand into another shape is refused, not read loosely.
  await putClient("cid-odd", { scopes: "lists.read" });
  now += CLIENT_CACHE_SECONDS;
  assert.equal(await lookup("cid-odd"), null);
});

test("a function without its configuration refuses to start", () => {
  assert.throws(() => makeHandler({ aws, env: { ...env("ssm:/x", "k"), JWTSTACK_TTL: undefined } }), /must be set/);
});

// jwtstack's token endpoint: OAuth 2.0 client credentials (RFC 6749 sections 2.3.1, 4.4 and 5), answered by a
// Lambda function behind the stack's API (payload format 2.0). The rules are those of `jwtstack serve`
// (crates/core/src/oauth.rs); both are checked against the same cases (cases.json).
//
// Nothing to build or vendor: `node:crypto` and the AWS SDK for JavaScript v3 that the Lambda Node.js runtime
// ships. Configuration comes from the function's environment, which `jwtstack deploy` writes:
//   JWTSTACK_STACK         the stack's name (client records: /jwtstack/{stack}/clients/{client_id}, tagged)
//   JWTSTACK_ISSUER        the tokens' `iss`
//   JWTSTACK_AUDIENCES     JSON list: the stack's audiences (a client's default is the first)
//   JWTSTACK_ROUTE_SCOPES  JSON list: the scopes the stack's routes grant
//   JWTSTACK_TTL           the longest token, seconds
//   JWTSTACK_KID           the signing key's kid
//   JWTSTACK_KEY           `ssm:{parameter}` (read once per container) or `kms:{key id or alias}` (kms:Sign)

import { createHash, createPrivateKey, randomBytes, sign as rsaSign, timingSafeEqual } from "node:crypto";

export const MAX_BODY_BYTES = 8 * 1024;
export const CLIENT_CACHE_SECONDS = 30;

export class OAuthError extends Error {
  constructor(status, error, description, basicChallenge = false) {
    super(description);
    this.status = status;
    this.error = error;
    this.description = description;
    this.basicChallenge = basicChallenge;
  }
}

const invalidRequest = (d) => new OAuthError(400, "invalid_request", d);
// Every 401 carries WWW-Authenticate (RFC 7235 3.1), whichever way the client authenticated.
const invalidClient = () => new OAuthError(401, "invalid_client", "client authentication failed", true);

// Spaces and tabs, the only whitespace HTTP puts around a header's parts (RFC 9110 5.6.3).
const trimOws = (s) => s.replace(/^[ \t]+|[ \t]+$/g, "");
// UTF-8, strictly, with a byte-order mark kept as a character (as Rust's String::from_utf8 keeps it).
const utf8 = (bytes) => new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);

export function hashSecret(secret) {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

// One application/x-www-form-urlencoded value, strictly: `+` is a space, `%` must start two hex digits, and the
// bytes must be UTF-8; anything else is null (RFC 6749 2.3.1 form-encodes Basic credentials).
function unform(s) {
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "+") bytes.push(0x20);
    else if (c === "%") {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, "utf8"));
  }
  try {
    return utf8(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}

function basicCredentials(header) {
  const trimmed = trimOws(header);
  const space = trimmed.indexOf(" ");
  if (space < 0 || trimmed.slice(0, space).toLowerCase() !== "basic") return null;
  const encoded = trimOws(trimmed.slice(space + 1));
  const decoded = Buffer.from(encoded, "base64");
  // Canonical base64 only: what decodes must encode back to the very text sent.
  if (decoded.toString("base64") !== encoded) return null;
  let text;
  try {
    text = utf8(decoded);
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return null;
  const id = unform(text.slice(0, colon));
  const secret = unform(text.slice(colon + 1));
  if (id === null || secret === null || id === "") return null;
  return [id, secret];
}

// Reads a request (method, Content-Type, Authorization, body bytes); throws OAuthError. RFC 6749: POST (3.2),
// a form body (4.4.2), no parameter twice (3.2), one way of client authentication (2.3).
export function parse(method, contentType, authorization, body) {
  if (method !== "POST") throw new OAuthError(405, "invalid_request", "the token endpoint takes POST only");
  if (body.length > MAX_BODY_BYTES) {
    throw new OAuthError(413, "invalid_request", `the request body is over ${MAX_BODY_BYTES} bytes`);
  }
  const mediaType = trimOws((contentType ?? "").split(";")[0]).toLowerCase();
  if (mediaType !== "application/x-www-form-urlencoded") {
    throw invalidRequest("the body must be application/x-www-form-urlencoded");
  }
  let text;
  try {
    text = utf8(body);
  } catch {
    throw invalidRequest("the body is not UTF-8");
  }
  const params = new Map();
  for (const [k, v] of new URLSearchParams(text)) {
    if (params.has(k)) throw invalidRequest("a parameter is given more than once");
    params.set(k, v);
  }
  const grantType = params.get("grant_type");
  if (grantType === undefined || grantType === "") throw invalidRequest("grant_type is missing");
  if (grantType !== "client_credentials") {
    throw new OAuthError(400, "unsupported_grant_type", "this endpoint issues client_credentials grants only");
  }
  const scopeParam = params.get("scope");
  const asked = scopeParam === undefined ? [] : scopeParam.split(" ").filter((s) => s !== "");
  const scope = asked.length ? asked : null;
  if (authorization !== undefined && authorization !== null) {
    if (params.has("client_secret")) {
      throw invalidRequest("the client authenticated twice (Authorization header and client_secret): use one");
    }
    const creds = basicCredentials(authorization);
    if (!creds) throw invalidClient();
    const [id, secret] = creds;
    if (params.has("client_id") && params.get("client_id") !== id) {
      throw invalidRequest("client_id in the body differs from the Authorization header's");
    }
    return { clientId: id, secret, scope, basic: true };
  }
  const id = params.get("client_id");
  if (id === undefined || id === "") throw invalidRequest("client_id is missing");
  const secret = params.get("client_secret");
  if (secret === undefined) throw invalidClient();
  return { clientId: id, secret, scope, basic: false };
}

const NO_CLIENT = "0".repeat(64);

function sameHash(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Lengths are public (64 hex digits for every stored hash); compare a fixed-length copy otherwise.
  return x.length === y.length ? timingSafeEqual(x, y) : (timingSafeEqual(x, x), false);
}

// Decides a parsed request against its client's record (null: none). Throws OAuthError.
export function grant(req, record, allowed, now) {
  const presented = hashSecret(req.secret);
  let matched = false;
  if (record) {
    for (const s of record.secrets ?? []) {
      const live = s.expires_at === undefined || s.expires_at === null || now < s.expires_at;
      const equal = sameHash(presented, String(s.sha256));
      matched = matched || (live && equal);
    }
  } else {
    sameHash(presented, NO_CLIENT);
  }
  if (!record || !matched || record.disabled || record.client_id !== req.clientId) throw invalidClient();
  let audience;
  if (record.audience !== undefined && record.audience !== null) {
    if (!allowed.audiences.includes(record.audience)) {
      throw new OAuthError(400, "unauthorized_client", `the client's audience \`${record.audience}\` is not one of the stack's`);
    }
    audience = record.audience;
  } else if (allowed.audiences.length) {
    audience = allowed.audiences[0];
  } else {
    throw new OAuthError(400, "unauthorized_client", "the stack has no audience to issue tokens for");
  }
  const usable = (record.scopes ?? []).filter((s) => allowed.routeScopes.includes(s));
  let scopes;
  if (req.scope === null) {
    if (!usable.length) {
      throw new OAuthError(400, "unauthorized_client", "none of the client's scopes is granted by a route of the stack");
    }
    scopes = usable;
  } else {
    if (req.scope.some((s) => !usable.includes(s))) {
      throw new OAuthError(400, "invalid_scope", "a scope asked for is not one this client may have");
    }
    scopes = [...new Set(req.scope)];
  }
  const ttl = record.ttl ? Math.min(record.ttl, allowed.maxTtl) : allowed.maxTtl;
  return { clientId: record.client_id, scopes, audience, ttl };
}

export function successBody(token, g) {
  return JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: g.ttl, scope: g.scopes.join(" ") });
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

// The token, as jwtstack's `token` command mints it: RS256, the active key's kid, `client_id` beside `sub`.
export async function mint(signer, issuer, g, now) {
  const header = { alg: "RS256", typ: "JWT", kid: signer.kid };
  const claims = {
    iss: issuer,
    aud: g.audience,
    sub: g.clientId,
    iat: now,
    nbf: now,
    exp: now + g.ttl,
    jti: b64url(randomBytes(16)),
    scope: g.scopes.join(" "),
    client_id: g.clientId,
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = await signer.sign(Buffer.from(input, "ascii"));
  return `${input}.${b64url(signature)}`;
}

// --- AWS: the key, the client records, the handler -----------------------------------------------------

export const plausibleId = (id) => typeof id === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(id);

// What a log may say of a client id a request sent: nothing when it cannot be one jwtstack made, or looks like
// a secret (one pasted into the id's field, or an id and secret swapped).
export const loggableClientId = (id) => (plausibleId(id) && !id.startsWith("jwtss_") ? id : "(not shown)");

const isStringList = (v) => Array.isArray(v) && v.every((x) => typeof x === "string");

// A record as jwtstack writes it (crates/core/src/oauth.rs, ClientRecord), or null: one edited by hand into
// another shape is refused, never read loosely.
export function validRecord(r, clientId) {
  const optionalNumber = (v) => v === undefined || v === null || (Number.isSafeInteger(v) && v >= 0);
  const ok =
    r !== null &&
    typeof r === "object" &&
    typeof r.name === "string" &&
    r.client_id === clientId &&
    isStringList(r.scopes) &&
    (r.audience === undefined || r.audience === null || typeof r.audience === "string") &&
    optionalNumber(r.ttl) &&
    (r.disabled === undefined || typeof r.disabled === "boolean") &&
    Number.isSafeInteger(r.created_at) &&
    Array.isArray(r.secrets) &&
    r.secrets.every((s) => s && typeof s.sha256 === "string" && optionalNumber(s.expires_at));
  return ok ? r : null;
}

// KMS signs a RAW message of at most 4,096 bytes; a longer signing input goes as its SHA-256 DIGEST (AWS KMS API
// Reference, Sign: Message, MessageType), as jwtstack's own KMS signer sends it.
const KMS_RAW_MAX = 4096;

// The signer of the key `JWTSTACK_KEY` names. An SSM key is read once per container and kept as a KeyObject
// (OpenSSL's RSA signing is blinded and constant-time); a KMS key signs with one kms:Sign per token.
export function keySigner(aws, kid, key) {
  if (key.startsWith("ssm:")) {
    const name = key.slice(4);
    let keyObject = null;
    return {
      kid,
      async sign(input) {
        if (!keyObject) {
          const out = await aws.ssm.getParameter({ Name: name, WithDecryption: true });
          keyObject = createPrivateKey(out.Parameter.Value);
        }
        return rsaSign("sha256", input, keyObject);
      },
    };
  }
  if (key.startsWith("kms:")) {
    const keyId = key.slice(4);
    return {
      kid,
      async sign(input) {
        const raw = input.length <= KMS_RAW_MAX;
        const out = await aws.kms.sign({
          KeyId: keyId,
          Message: raw ? input : createHash("sha256").update(input).digest(),
          MessageType: raw ? "RAW" : "DIGEST",
          SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
        });
        return Buffer.from(out.Signature);
      },
    };
  }
  throw new Error(`JWTSTACK_KEY must be ssm:NAME or kms:KEY, not ${JSON.stringify(key)}`);
}

export const REREAD_ON_MISS_SECONDS = 5;

// Every client record of the stack, read whole (GetParametersByPath), each record's tag read once: read again
// once the reading is CLIENT_CACHE_SECONDS old, so a disabled or removed client is refused within that time, and
// on a client id not found at most every REREAD_ON_MISS_SECONDS, so a new client works within seconds while a
// flood of made-up ids costs no AWS call each.
export function clientStore(aws, stack, clock = () => Date.now() / 1000) {
  const path = `/jwtstack/${stack}/clients/`;
  const tagged = new Set();
  let byId = new Map();
  let readAt = null;
  async function readAll() {
    const found = new Map();
    let NextToken;
    do {
      const page = await aws.ssm.getParametersByPath({ Path: path.slice(0, -1), Recursive: true, MaxResults: 10, NextToken });
      for (const p of page.Parameters ?? []) {
        const id = p.Name.startsWith(path) ? p.Name.slice(path.length) : null;
        let record = null;
        try {
          record = validRecord(JSON.parse(p.Value), id);
        } catch {
          record = null;
        }
        if (!record) continue;
        // Only a record jwtstack made for this stack (tagged when created) is trusted.
        if (!tagged.has(p.Name)) {
          const tags = await aws.ssm.listTagsForResource({ ResourceType: "Parameter", ResourceId: p.Name });
          if (!(tags.TagList ?? []).some((t) => t.Key === "jwtstack:stack" && t.Value === stack)) continue;
          tagged.add(p.Name);
        }
        found.set(id, record);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    byId = found;
    readAt = clock();
  }
  return async function lookup(clientId) {
    if (!plausibleId(clientId)) return null;
    const age = readAt === null ? Infinity : clock() - readAt;
    if (age >= CLIENT_CACHE_SECONDS || (!byId.has(clientId) && age >= REREAD_ON_MISS_SECONDS)) await readAll();
    return byId.get(clientId) ?? null;
  };
}

// A request header, whichever API sends the event. An HTTP API (payload 2.0) joins a header sent twice into
// one value with commas; a REST API's Lambda proxy event keeps the last one in `headers` and each one in
// `multiValueHeaders`, which are joined the same way here, so that both decide alike (two Authorization
// headers are never read as one).
function header(event, name) {
  const values = [];
  for (const [k, v] of Object.entries(event.multiValueHeaders ?? {})) {
    if (k.toLowerCase() === name && Array.isArray(v)) values.push(...v.map(String));
  }
  if (values.length) return values.join(",");
  for (const [k, v] of Object.entries(event.headers ?? {})) {
    if (k.toLowerCase() === name) return v;
  }
  return undefined;
}

function answer(status, body, extra = {}) {
  return {
    statusCode: status,
    headers: { "content-type": "application/json;charset=UTF-8", "cache-control": "no-store", pragma: "no-cache", ...extra },
    body,
  };
}

// One line per failure in the function's log (CloudWatch Logs), read by `jwtstack logs`: never a secret.
function logFailure(log, e, clientId) {
  const client = clientId === undefined ? null : loggableClientId(clientId);
  log(JSON.stringify({ token_endpoint: "refused", error: e.error, description: e.description, client_id: client }));
}

// The handler for a given environment: `aws` holds the SSM and KMS clients (tests pass ones that reach the
// emulator), `now` the clock in seconds.
export function makeHandler({ aws, env, now = () => Math.floor(Date.now() / 1000), log = console.log }) {
  const allowed = {
    audiences: JSON.parse(env.JWTSTACK_AUDIENCES ?? "null"),
    routeScopes: JSON.parse(env.JWTSTACK_ROUTE_SCOPES ?? "null"),
    maxTtl: Number(env.JWTSTACK_TTL),
  };
  // A function deployed without its configuration refuses to start rather than issue odd tokens.
  if (!isStringList(allowed.audiences) || !isStringList(allowed.routeScopes) || !(allowed.maxTtl > 0) || !env.JWTSTACK_KID) {
    throw new Error("JWTSTACK_AUDIENCES, JWTSTACK_ROUTE_SCOPES, JWTSTACK_TTL and JWTSTACK_KID must be set: deploy writes them");
  }
  const signer = keySigner(aws, env.JWTSTACK_KID, env.JWTSTACK_KEY ?? "");
  const lookup = clientStore(aws, env.JWTSTACK_STACK);
  return async function handler(event) {
    let clientId;
    try {
      const raw = event.body ?? "";
      const body = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
      // Payload 2.0 (HTTP API) names the method under requestContext.http, a REST API's event at its top.
      const method = event.requestContext?.http?.method ?? event.httpMethod ?? "";
      const req = parse(method, header(event, "content-type"), header(event, "authorization"), body);
      clientId = req.clientId;
      const record = await lookup(req.clientId);
      const g = grant(req, record, allowed, now());
      const token = await mint(signer, env.JWTSTACK_ISSUER, g, now());
      return answer(200, successBody(token, g));
    } catch (e) {
      if (!(e instanceof OAuthError)) {
        const client = clientId === undefined ? null : loggableClientId(clientId);
        log(JSON.stringify({ token_endpoint: "failed", cause: String(e?.name ?? "Error"), client_id: client }));
        return answer(500, JSON.stringify({ error: "server_error", error_description: "the token could not be issued" }));
      }
      logFailure(log, e, clientId);
      const extra = e.basicChallenge ? { "www-authenticate": 'Basic realm="jwtstack", charset="UTF-8"' } : {};
      if (e.status === 405) extra.allow = "POST";
      return answer(e.status, JSON.stringify({ error: e.error, error_description: e.description }), extra);
    }
  };
}

let deployed = null;

// The Lambda entry point: the runtime's SDK, the function's environment.
export async function handler(event) {
  if (!deployed) {
    const { SSM } = await import("@aws-sdk/client-ssm");
    const { KMS } = await import("@aws-sdk/client-kms");
    deployed = makeHandler({ aws: { ssm: new SSM({}), kms: new KMS({}) }, env: process.env });
  }
  return deployed(event);
}

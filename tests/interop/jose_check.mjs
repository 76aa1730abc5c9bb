// jose (npm) side of the interoperability tests.
//   verify TOKEN JWKS_FILE ISSUER AUDIENCE   exit 0 and print the claims as JSON when jose accepts the token
//   sign PEM_FILE KID ISSUER AUDIENCE SCOPE  print an RS256 token signed by jose
import { readFileSync } from "node:fs";
import { createLocalJWKSet, jwtVerify, importPKCS8, SignJWT } from "jose";

const [command, ...args] = process.argv.slice(2);

if (command === "verify") {
  const [token, jwksFile, issuer, audience] = args;
  const jwks = createLocalJWKSet(JSON.parse(readFileSync(jwksFile, "utf8")));
  const { payload } = await jwtVerify(token, jwks, { issuer, audience, algorithms: ["RS256"], requiredClaims: ["exp", "iat", "nbf", "sub"] });
  console.log(JSON.stringify(payload));
} else if (command === "sign") {
  const [pemFile, kid, issuer, audience, scope] = args;
  const key = await importPKCS8(readFileSync(pemFile, "utf8"), "RS256");
  const token = await new SignJWT({ scope })
    .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject("jose-user")
    .setIssuedAt()
    .setNotBefore("0s")
    .setExpirationTime("10m")
    .sign(key);
  console.log(token);
} else {
  console.error(`unknown command ${command}`);
  process.exit(2);
}

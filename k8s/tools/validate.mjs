// Validates rendered Kubernetes manifests against the Kubernetes API's JSON schemas (the
// OpenAPI definitions compiled into validators by the npm package kubernetes-models): types,
// required fields, formats (int32, quantities, int-or-string), enums where the API declares
// them. Gateway API objects (gateway.networking.k8s.io: Gateway, GRPCRoute, HTTPRoute) against
// the schemas of its CRDs, from @kubernetes-models/gateway-api. Unknown fields are checked separately (tests/Lcr.Deployment.Tests, KubernetesClient).
// Usage: node validate.mjs <rendered.yaml>...   Prints one line per problem; exit 1 if any.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const problems = [];
let count = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) {
      problems.push(`${file}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    count++;
    const where = `${file}: ${obj.kind ?? "?"}/${obj.metadata?.name ?? "?"}`;
    if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
      problems.push(`${where}: no apiVersion or kind`);
      continue;
    }
    let mod;
    try {
      const pkg = obj.apiVersion.startsWith("gateway.networking.k8s.io/") ? "@kubernetes-models/gateway-api" : "kubernetes-models";
      mod = await import(`${pkg}/${obj.apiVersion}/${obj.kind}`);
    } catch {
      problems.push(`${where}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    const Model = mod[obj.kind];
    if (typeof Model !== "function") {
      problems.push(`${where}: unknown kind ${obj.kind} in ${obj.apiVersion}`);
      continue;
    }
    if (obj.kind === "Secret" && obj.data && typeof obj.data === "object") {
      // kustomize wraps long base64 values over lines; the API server's decoder (Go's
      // encoding/base64) ignores line breaks, the schema's "byte" format does not.
      for (const k of Object.keys(obj.data)) {
        if (typeof obj.data[k] === "string") obj.data[k] = obj.data[k].replace(/[\r\n]/g, "");
      }
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push(`${where}: ${String(e.message ?? e).replace(/\s+/g, " ")}`);
    }
  }
}
for (const p of problems) console.log(p);
console.log(`validated ${count} objects, ${problems.length} problems`);
process.exit(problems.length > 0 ? 1 : 0);

// Validates Kubernetes objects against Kubernetes' own OpenAPI schemas, through the kubernetes-models
// npm package (its classes' validate() checks an object against the schema of its apiVersion and
// kind). Reads [{"file": ..., "object": {...}}, ...] as JSON on stdin; prints one line per object.
// Usage: node validate_k8s.mjs NODE_MODULES_DIR < objects.json     Exit status 1 when one is invalid.
import path from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
let text = "";
for await (const chunk of process.stdin) text += chunk;
let failures = 0;
for (const { file, object } of JSON.parse(text)) {
  const where = `${file}: ${object.apiVersion} ${object.kind} ${object.metadata?.name}`;
  // kubernetes-models' folders: "v1" for the core group, else "<group>/<version>" ("apps/v1").
  const folder = String(object.apiVersion ?? "").split("/").join(path.sep);
  let model;
  try {
    const file = path.join(modules, "kubernetes-models", folder, `${object.kind}.js`);
    model = (await import(pathToFileURL(file).href))[object.kind];
  } catch (error) {
    console.log(`  FAIL ${where}: no Kubernetes schema for it (${error.message})`);
    failures++;
    continue;
  }
  try {
    new model(object).validate();
    console.log(`  ok   ${where} matches Kubernetes' schema`);
  } catch (error) {
    console.log(`  FAIL ${where}: ${error.message}`);
    failures++;
  }
}
process.exit(failures ? 1 : 0);

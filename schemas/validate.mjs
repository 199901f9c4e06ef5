// Validates Istio and Gateway API objects (a JSON array on stdin) against
// @kubernetes-models/istio and @kubernetes-models/gateway-api, which are generated from the
// projects' published CRD schemas. Two passes per object:
//   1. the package's own validator (types, enums, required fields, patterns);
//   2. an unknown-field check: the fields each object may have, read from a JSON schema that
//      ts-json-schema-generator makes of the package's TypeScript types, because the package's
//      validator (like a real API server, which prunes them silently) accepts unknown fields.
//      Only field names are taken from it; types and required fields are pass 1's job.
// Prints a JSON array: [{kind, name, errors: [...]}, ...]. Exits 0 unless it cannot run.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createGenerator } from "ts-json-schema-generator";

const require = createRequire(import.meta.url);
// The package that models each API group.
const PACKAGES = {
  "gateway.networking.k8s.io": "@kubernetes-models/gateway-api",
};
function packageOf(group) {
  return PACKAGES[group] ?? "@kubernetes-models/istio";
}
function packageDir(group) {
  return dirname(require.resolve(`${packageOf(group)}/package.json`));
}
const shapes = new Map();

// A shape is {fields: Map(name -> shape), open: shape|true|null, items: shape|null}: the
// fields an object may have (or `open` for maps), and what a list holds.
function emptyShape() {
  return { fields: new Map(), open: null, items: null };
}

function mergeInto(target, schema, definitions, seen) {
  if (!schema || typeof schema !== "object") return target;
  if (schema.$ref) {
    const name = decodeURIComponent(schema.$ref.replace("#/definitions/", ""));
    if (seen.has(name)) {
      target.open = true; // recursive type: accept what is below
      return target;
    }
    return mergeInto(target, definitions[name], definitions, new Set([...seen, name]));
  }
  for (const branch of [...(schema.anyOf ?? []), ...(schema.allOf ?? []), ...(schema.oneOf ?? [])]) {
    mergeInto(target, branch, definitions, seen);
  }
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const existing = target.fields.get(name) ?? emptyShape();
    target.fields.set(name, mergeInto(existing, child, definitions, seen));
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    target.open = mergeInto(target.open && target.open !== true ? target.open : emptyShape(),
      schema.additionalProperties, definitions, seen);
  } else if (schema.additionalProperties === true) {
    target.open = true;
  }
  if (schema.items) {
    target.items = mergeInto(target.items ?? emptyShape(), schema.items, definitions, seen);
  }
  return target;
}

function schemaOf(path, type) {
  const generator = createGenerator({
    path,
    type,
    skipTypeCheck: true,
    additionalProperties: false,
    expose: "none",
    topRef: false,
  });
  const schema = generator.createSchema(type);
  return mergeInto(emptyShape(), schema, schema.definitions ?? {}, new Set());
}

function shapeOf(group, version, kind) {
  const key = `${group}/${version}/${kind}`;
  if (!shapes.has(key)) {
    const dir = join(packageDir(group), group, version);
    if (packageOf(group) === "@kubernetes-models/istio") {
      shapes.set(key, schemaOf(join(dir, `${kind}.d.ts`), `I${kind}`));
    } else {
      // The Gateway API package's top-level types extend a base type the generator cannot
      // read; its spec types are plain. Metadata is left to the package's own validator.
      // Older versions (v1beta1) reuse the v1 spec types.
      const own = join(dir, `${kind}Spec.d.ts`);
      const specFile = existsSync(own) ? own : join(dir, "..", "v1", `${kind}Spec.d.ts`);
      const spec = schemaOf(specFile, `I${kind}Spec`);
      const shape = emptyShape();
      shape.fields.set("metadata", true);
      shape.fields.set("spec", spec);
      shapes.set(key, shape);
    }
  }
  return shapes.get(key);
}

function unknownFields(value, shape, path, found) {
  if (shape === true || shape === null) return found;
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknownFields(item, shape.items ?? true, `${path}/${i}`, found));
  } else if (value && typeof value === "object") {
    for (const [name, child] of Object.entries(value)) {
      const known = shape.fields.get(name) ?? shape.open;
      if (known === undefined || known === null) {
        found.push(`${path || "/"} has unknown field '${name}'`);
      } else {
        unknownFields(child, known, `${path}/${name}`, found);
      }
    }
  }
  return found;
}

const objects = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const obj of objects) {
  const [group, version] = String(obj.apiVersion).split("/");
  const kind = obj.kind;
  const name = `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
  const errors = [];
  let Model;
  try {
    Model = (await import(`${packageOf(group)}/${group}/${version}/${kind}`))[kind];
  } catch {
    results.push({ kind, name, errors: [`no schema for ${obj.apiVersion} ${kind}`] });
    continue;
  }
  try {
    new Model(obj).validate();
  } catch (err) {
    errors.push(String(err.message ?? err));
  }
  const shape = shapeOf(group, version, kind);
  for (const field of ["apiVersion", "kind"]) shape.fields.set(field, true);
  unknownFields(obj, shape, "", errors);
  results.push({ kind, name, errors });
}
process.stdout.write(JSON.stringify(results));

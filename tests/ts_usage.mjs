// Reads a TypeScript program with the TypeScript compiler's parser and prints, as JSON, how it
// uses a package imported as `mesh`: each `new mesh.X(name, {...})` with its arguments as
// literal data ({"$expr": text} where a value is computed), and each `x.prop` read from a
// component held in a const.
//   node tests/ts_usage.mjs <file.ts>
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../schemas/package.json", import.meta.url));
const ts = require("typescript");

const file = process.argv[2];
const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2020, true);

function data(node) {
  if (ts.isObjectLiteralExpression(node)) {
    const out = {};
    for (const p of node.properties) {
      if (ts.isPropertyAssignment(p)) out[p.name.text ?? p.name.getText()] = data(p.initializer);
      else if (ts.isShorthandPropertyAssignment(p)) out[p.name.text] = { $expr: p.name.text };
      else out[p.getText()] = { $expr: p.getText() };
    }
    return out;
  }
  if (ts.isArrayLiteralExpression(node)) return node.elements.map(data);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  return { $expr: node.getText() };
}

const resources = [];
const reads = [];
const components = {};

function meshType(expression) {
  return ts.isPropertyAccessExpression(expression) && expression.expression.getText() === "mesh"
    ? expression.name.text
    : null;
}

function visit(node) {
  if (ts.isNewExpression(node) && meshType(node.expression)) {
    const [name, args] = node.arguments ?? [];
    resources.push({ type: meshType(node.expression), name: data(name), args: args ? data(args) : {} });
  }
  if (ts.isVariableDeclaration(node) && node.initializer && ts.isNewExpression(node.initializer)) {
    const type = meshType(node.initializer.expression);
    if (type) components[node.name.getText()] = type;
  }
  if (ts.isPropertyAccessExpression(node) && components[node.expression.getText()]) {
    reads.push({ type: components[node.expression.getText()], property: node.name.text });
  }
  ts.forEachChild(node, visit);
}
visit(source);
process.stdout.write(JSON.stringify({ resources, reads }));

// The server's OpenAPI contract (schemas/openapi.json) as validators, so fixtures and the
// requests the client sends are checked against what the server really declares.

const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const CONTRACT_PATH = path.resolve(__dirname, '../../../schemas/openapi.json');
const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

let cached = null;

function load() {
  if (cached) return cached;
  const doc = JSON.parse(fs.readFileSync(CONTRACT_PATH, 'utf8'));
  // OpenAPI 3.0 schemas are JSON Schema plus `nullable`, which Ajv understands natively.
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  // marshmallow's URL field is declared as format "url".
  ajv.addFormat('url', /^[a-z][a-z0-9+.-]*:\/\/\S+$/i);
  ajv.addSchema({ $id: 'contract', components: doc.components || {} });
  const operations = [];
  for (const [template, item] of Object.entries(doc.paths || {})) {
    const shared = item.parameters || [];
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const source = template
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\\\{\w+\\\}/g, '[^/]+');
      operations.push({
        key: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        regex: new RegExp(`^${source}$`),
        op,
        parameters: shared.concat(op.parameters || []),
      });
    }
  }
  cached = { doc, ajv, operations, validators: new Map() };
  return cached;
}

// Rewrite local refs (#/components/...) so they resolve inside the "contract" schema.
function retarget(schema) {
  if (Array.isArray(schema)) return schema.map(retarget);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    const local = k === '$ref' && typeof v === 'string' && v.startsWith('#/');
    out[k] = local ? `contract${v}` : retarget(v);
  }
  return out;
}

function deref(node) {
  const { doc } = load();
  let current = node;
  while (current && current.$ref) {
    const parts = current.$ref.replace(/^#\//, '').split('/');
    current = parts.reduce((acc, p) => (acc ? acc[p] : undefined), doc);
  }
  return current;
}

function validatorFor(schema) {
  const c = load();
  const key = JSON.stringify(schema);
  if (!c.validators.has(key)) c.validators.set(key, c.ajv.compile(retarget(schema)));
  return c.validators.get(key);
}

function check(schema, value, where) {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  return validate.errors.map((e) => `${where}: ${e.instancePath || '/'} ${e.message}`);
}

function findOperation(method, template) {
  return load().operations.find((o) => o.method === method && o.template === template) || null;
}

// The operation a concrete request path belongs to, e.g. /api/v1/communities/3/join.
function matchOperation(method, concretePath) {
  const ops = load().operations.filter((o) => o.method === method && o.regex.test(concretePath));
  // Prefer the most literal template when several match (/a/me over /a/{id}).
  const holes = (o) => (o.template.match(/\{/g) || []).length;
  ops.sort((a, b) => holes(a) - holes(b));
  return ops[0] || null;
}

function jsonSchemaOf(content) {
  const media = content && (content['application/json'] || content['*/*']);
  return media ? media.schema : null;
}

function responseErrors(operation, status, body) {
  const responses = operation.op.responses || {};
  const declared = responses[String(status)] || responses.default;
  if (!declared) return [`${operation.key}: status ${status} is not declared`];
  const response = deref(declared);
  const schema = jsonSchemaOf(response.content);
  if (!schema) {
    return body === null || body === undefined || body === ''
      ? []
      : [`${operation.key} ${status}: declares no body but one was given`];
  }
  return check(schema, body, `${operation.key} ${status}`);
}

// `media` names the body's content type when it is not JSON (wx.uploadFile sends multipart).
function requestErrors(operation, query, body, media) {
  const errors = [];
  for (const p of operation.parameters.map(deref)) {
    if (p.in !== 'query') continue;
    const raw = query[p.name];
    if (raw === undefined) {
      if (p.required) errors.push(`${operation.key}: query ${p.name} is required`);
      continue;
    }
    const type = p.schema && p.schema.type;
    // Query strings carry text; read numbers and booleans the way the server parses them.
    let value = raw;
    if (type === 'integer' || type === 'number') value = Number(raw);
    else if (type === 'boolean') value = raw === 'true' ? true : raw === 'false' ? false : raw;
    errors.push(...check(p.schema || {}, value, `${operation.key} query ${p.name}`));
  }
  const queryParams = operation.parameters.map(deref).filter((p) => p.in === 'query');
  const known = new Set(queryParams.map((p) => p.name));
  for (const name of Object.keys(query)) {
    if (!known.has(name)) errors.push(`${operation.key}: undeclared query parameter ${name}`);
  }
  const requestBody = operation.op.requestBody && deref(operation.op.requestBody);
  if (media === 'multipart') {
    if (!requestBody || !requestBody.content['multipart/form-data']) {
      errors.push(`${operation.key}: does not take a multipart upload`);
    }
    return errors;
  }
  if (requestBody) {
    const schema = jsonSchemaOf(requestBody.content);
    if (body === undefined) {
      if (requestBody.required) errors.push(`${operation.key}: request body is required`);
    } else if (schema) {
      errors.push(...check(schema, body, `${operation.key} request`));
    }
  } else if (body !== undefined) {
    errors.push(`${operation.key}: sends a body the operation does not declare`);
  }
  return errors;
}

// The header parameter `name` an operation declares (X-Acting-For, Idempotency-Key), or null.
function headerParameter(operation, name) {
  const params = operation.parameters.map(deref);
  return params.find((p) => p.in === 'header' && p.name === name) || null;
}

module.exports = {
  CONTRACT_PATH,
  headerParameter,
  load,
  findOperation,
  matchOperation,
  responseErrors,
  requestErrors,
};

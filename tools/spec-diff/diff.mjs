// Compare two bundled versions of the spec (bundle.py's output) and report every change, grouped by
// kind; exit 1 when any change is breaking, 2 when the comparison itself fails.
//
//   node diff.mjs BEFORE.json AFTER.json [--before-label L] [--after-label L] [--json OUT] [--all]
//
// api-smart-diff classifies; allof-merge first folds every allOf into one schema, so a property that
// moved into an allOf member is the same property in both documents. Where api-smart-diff's verdict
// is not this API's, a rule below overrides it and the report says which rule did.
import { readFileSync, writeFileSync } from 'node:fs'
import { merge } from 'allof-merge'
import { apiCompare } from 'api-smart-diff'

const KINDS = ['breaking', 'deprecated', 'unclassified', 'non-breaking', 'annotation']
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])
// Schema keywords followed, in a path, by a name or an index rather than by a keyword.
const NAMED = new Set(['properties', 'patternProperties', 'definitions'])
const INDEXED = new Set(['allOf', 'oneOf', 'anyOf', 'enum', 'required'])
// Documentation edits can run into thousands (a spec gaining descriptions everywhere): past this
// many the report counts them and points to the --json file, unless --all is given.
const ANNOTATIONS_SHOWN = 40

function parseArgs (argv) {
  const options = { files: [], beforeLabel: 'before', afterLabel: 'after', json: null, all: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--before-label') options.beforeLabel = argv[++i]
    else if (arg === '--after-label') options.afterLabel = argv[++i]
    else if (arg === '--json') options.json = argv[++i]
    else if (arg === '--all') options.all = true
    else options.files.push(arg)
  }
  if (options.files.length !== 2) {
    throw new Error('usage: node diff.mjs BEFORE.json AFTER.json [--before-label L] [--after-label L] [--json OUT] [--all]')
  }
  return options
}

function load (file) {
  const document = JSON.parse(readFileSync(file, 'utf8'))
  return merge(document, { onMergeError: (message) => { throw new Error(`${file}: allOf cannot be merged: ${message}`) } })
}

// Where a change sits: its operation, the side of the exchange (request or response) and, inside a
// schema, the last keyword with its argument (`properties` + a name, `enum` + an index, `type`...).
function locate (path) {
  const where = { operation: null, side: null, keyword: null, argument: undefined }
  if (path[0] !== 'paths' || path.length < 3) return where
  if (HTTP_METHODS.has(path[2])) where.operation = { path: path[1], method: path[2] }
  const section = path[3]
  if (section === 'responses') where.side = 'response'
  else if (section === 'requestBody' || section === 'parameters') where.side = 'request'
  const start = path.indexOf('schema')
  if (start < 0) return where
  for (let i = start + 1; i < path.length; i++) {
    const key = path[i]
    if ((NAMED.has(key) || INDEXED.has(key)) && i + 1 < path.length) {
      where.keyword = key
      where.argument = path[++i]
    } else {
      where.keyword = key
      where.argument = undefined
    }
  }
  return where
}

function at (document, path) {
  let node = document
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined
    node = node[key]
  }
  return node
}

// Our rules: each returns a reason when it turns a change breaking. api-smart-diff treats a response
// as something the server may narrow at will; our clients include generated SDKs with typed models.
const RULES = [
  {
    id: 'response-property-removed',
    test: (d, w) => d.action === 'remove' && w.side === 'response' && w.keyword === 'properties' && w.argument !== undefined,
    reason: 'a client reading this property no longer gets it'
  },
  {
    id: 'enum-value-removed',
    test: (d, w) => d.action === 'remove' && w.keyword === 'enum' && w.argument !== undefined,
    reason: 'a client sending or matching this value loses it (generated SDKs drop the constant)'
  },
  {
    id: 'closed-request-property-removed',
    test: (d, w, ctx) => {
      if (!(d.action === 'remove' && w.side === 'request' && w.keyword === 'properties' && w.argument !== undefined)) return false
      const schema = at(ctx.after, d.path.slice(0, -2)) ?? at(ctx.before, d.path.slice(0, -2))
      return schema?.additionalProperties === false
    },
    reason: 'the schema admits no other property, so a request still sending it is refused with 400'
  },
  {
    id: 'operation-id-changed',
    test: (d, w) => w.operation !== null && d.path.length === 4 && d.path[3] === 'operationId',
    reason: 'operationIds are the SDK method names and generated clients are named after them'
  },
  {
    id: 'response-type-changed',
    test: (d, w) => w.side === 'response' && w.keyword === 'type' && d.action !== 'add',
    reason: 'a client parsing the old type fails on the new one'
  },
  {
    id: 'response-became-nullable',
    test: (d, w) => w.side === 'response' && w.keyword === 'nullable' && d.action !== 'remove' && d.after === true,
    reason: 'a client not expecting null now receives it'
  }
]

function classify (diffs, ctx) {
  return diffs.map((diff) => {
    const where = locate(diff.path)
    const change = { ...diff, where }
    if (diff.type === 'breaking') return change
    for (const rule of RULES) {
      if (rule.test(diff, where, ctx)) {
        return { ...change, type: 'breaking', rule: rule.id, reason: rule.reason, libraryType: diff.type }
      }
    }
    return change
  })
}

function operationName (operation, ctx) {
  if (!operation) return null
  const id = at(ctx.before, ['paths', operation.path, operation.method, 'operationId']) ??
    at(ctx.after, ['paths', operation.path, operation.method, 'operationId'])
  return `${operation.method.toUpperCase()} ${operation.path}${id ? ` (${id})` : ''}`
}

// `$.paths['/course/'].post.requestBody.content['application/json'].schema.properties.name.maxLength`
function jsonPath (path) {
  return '$' + path.map((key) => {
    if (typeof key === 'number') return `[${key}]`
    return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key).replaceAll('"', "'")}]`
  }).join('')
}

function show (value) {
  const text = JSON.stringify(value)
  if (text === undefined) return 'nothing'
  return text.length > 80 ? text.slice(0, 77) + '...' : text
}

function describe (change) {
  let text = change.description || `[${change.action}] ${change.path.at(-1)}`
  const scalar = (v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)
  if (change.action === 'replace' && (scalar(change.before) || scalar(change.after))) {
    text += `: ${show(change.before)} -> ${show(change.after)}`
  } else if (change.action === 'remove' && scalar(change.before)) {
    text += `: ${show(change.before)} removed`
  } else if (change.action === 'add' && scalar(change.after)) {
    text += `: ${show(change.after)} added`
  }
  return text
}

function report (changes, ctx, options) {
  const lines = []
  const counts = Object.fromEntries(KINDS.map((kind) => [kind, changes.filter((c) => c.type === kind).length]))
  lines.push(`Spec diff: ${options.beforeLabel} -> ${options.afterLabel}`)
  lines.push(KINDS.filter((kind) => counts[kind] || ['breaking', 'non-breaking', 'annotation'].includes(kind))
    .map((kind) => `${counts[kind]} ${kind}`).join(', '))
  for (const kind of KINDS) {
    const all = changes.filter((c) => c.type === kind)
    if (!all.length) continue
    lines.push('', `${kind.toUpperCase()} (${all.length})`)
    const capped = kind === 'annotation' && !options.all && all.length > ANNOTATIONS_SHOWN
    const ofKind = capped ? all.slice(0, ANNOTATIONS_SHOWN) : all
    const groups = new Map()
    for (const change of ofKind) {
      const name = operationName(change.where.operation, ctx) ?? 'document'
      if (!groups.has(name)) groups.set(name, [])
      groups.get(name).push(change)
    }
    for (const [name, group] of groups) {
      lines.push(`  ${name}`)
      for (const change of group) {
        lines.push(`    - ${describe(change)}`)
        if (change.rule) lines.push(`      rule ${change.rule} (api-smart-diff: ${change.libraryType}): ${change.reason}`)
        lines.push(`      at ${jsonPath(change.path)}`)
      }
    }
    if (capped) {
      const where = options.json ? ` (all of them are in ${options.json})` : ' (--all lists them)'
      lines.push(`  ... and ${all.length - ANNOTATIONS_SHOWN} more annotation changes${where}`)
    }
  }
  lines.push('')
  lines.push(counts.breaking
    ? `FAILED: ${counts.breaking} breaking change(s). Restore compatibility, or release a new major API version.`
    : 'OK: no breaking change.')
  return lines.join('\n')
}

function main () {
  let options, ctx, changes
  try {
    options = parseArgs(process.argv.slice(2))
    ctx = { before: load(options.files[0]), after: load(options.files[1]) }
    changes = classify(apiCompare(ctx.before, ctx.after).diffs, ctx)
  } catch (error) {
    console.error(`spec-diff: ${error.message}`)
    return 2
  }
  console.log(report(changes, ctx, options))
  if (options.json) {
    const rows = changes.map(({ where, ...change }) => ({ ...change, operation: operationName(where.operation, ctx), jsonPath: jsonPath(change.path) }))
    writeFileSync(options.json, JSON.stringify(rows, null, 1) + '\n')
  }
  return changes.some((c) => c.type === 'breaking') ? 1 : 0
}

process.exitCode = main()

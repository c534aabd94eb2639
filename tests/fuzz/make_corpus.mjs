// Writes the hostile inputs that are too large to keep in the repository (hundreds of KB each) into
// <out>/<target>/, beside the committed seeds of tests/fuzz/corpus/<target>/. scripts/fuzz.sh runs every one
// of them through its target, whole, before fuzzing. Usage: node tests/fuzz/make_corpus.mjs <out>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2];
if (!out) {
  console.error('usage: make_corpus.mjs <out-dir>');
  process.exit(2);
}

const write = (target, name, text) => {
  mkdirSync(join(out, target), { recursive: true });
  writeFileSync(join(out, target, name), text);
};
// JSON objects nested `depth` deep: {"a":{"a":...{}...}}
const nestedObjects = (depth) => '{"a":'.repeat(depth) + '{}' + '}'.repeat(depth);
const nestedArrays = (depth) => '['.repeat(depth) + ']'.repeat(depth);

// A client's embeddings input nested 100 000 arrays deep.
const deepInput = `{"model":"text-embedding-3-small","input":${nestedArrays(100_000)}}`;
write('embeddings_request', 'input_nested_100000', deepInput);
write('json_scan', 'arrays_nested_100000', nestedArrays(100_000));

// Tool arguments and a tool result that hold JSON nested 100 000 deep, inside strings: valid requests, which
// the Anthropic and Gemini protocols parse when they translate them.
const deepText = JSON.stringify(nestedObjects(100_000));
const toolRequest = (where) =>
  JSON.stringify({
    model: 'm',
    messages: [
      { role: 'user', content: 'call it' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'f', arguments: where === 'arguments' ? '@' : '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: where === 'tool' ? '@' : '{}' },
    ],
  }).replace('"@"', deepText);
for (const target of ['anthropic_protocol', 'gemini_protocol', 'chat_request']) {
  write(target, 'tool_arguments_nested_100000', toolRequest('arguments'));
  write(target, 'tool_result_nested_100000', toolRequest('tool'));
}

// A Gemini stream whose functionCall.args nests 200 000 levels.
const deepArgs = nestedObjects(200_000);
write(
  'gemini_protocol',
  'stream_args_nested_200000',
  `data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":${deepArgs}}}]}}]}\n\n`,
);
write('gemini_protocol', 'response_args_nested_200000',
  `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":${deepArgs}}}]}}]}`);
write('anthropic_protocol', 'stream_input_nested_200000',
  `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","input":${deepArgs}}}\n\n`);
write('openai_protocol', 'stream_usage_nested_200000', `data: {"choices":[],"usage":${deepArgs}}\n\n`);
write('usage', 'usage_nested_200000', `{"usage":${deepArgs}}`);
write('admin_codec', 'nested_100000', `{"name":"x","scope":${nestedObjects(100_000)}}`);
write('config', 'flow_nested_100000', nestedArrays(100_000));

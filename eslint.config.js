'use strict';
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const html = require('eslint-plugin-html');
const globals = require('globals');
const prettier = require('eslint-config-prettier');

module.exports = tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.demo/', '.bench/', 'test/.tmp/'] },
  js.configs.recommended,
  {
    files: ['lib/**/*.ts', 'nodes/**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }] },
  },
  {
    files: ['test/**/*.js'],
    languageOptions: { globals: { ...globals.mocha } },
  },
  {
    // Browser tests pass functions to page.evaluate, which run in the editor's page.
    files: ['test/**/*.e2e.test.js'],
    languageOptions: { globals: { ...globals.browser, RED: 'readonly', $: 'readonly' } },
  },
  {
    // The editor scripts run in the browser, beside jQuery and Node-RED's editor API.
    files: ['nodes/**/*.html', 'resources/*.js', 'test/support/probe-nodes/*.html'],
    plugins: { html },
    languageOptions: {
      sourceType: 'script',
      globals: { ...globals.browser, RED: 'readonly', $: 'readonly' },
    },
    // A validator declares its second argument so that Node-RED shows the message it returns.
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_' }] },
  },
  prettier,
);

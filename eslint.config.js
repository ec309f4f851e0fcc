// One lint habit for the whole repository: typescript-eslint's strict,
// type-aware rules for correctness; Prettier formats (.prettierrc.json).
// `npm test` runs both; `npm run lint` fixes what they can.
import js from '@eslint/js'
import stylistic from '@stylistic/eslint-plugin'
import { defineConfig } from 'eslint/config'
import globals from 'globals'
import tseslint from 'typescript-eslint'

// Reading an HTTP answer or a test fixture as `any` is what a test does; production code types what it reads.
const UNTYPED_JSON_RULES = {
  '@typescript-eslint/no-explicit-any': 'off',
  '@typescript-eslint/no-unsafe-argument': 'off',
  '@typescript-eslint/no-unsafe-assignment': 'off',
  '@typescript-eslint/no-unsafe-call': 'off',
  '@typescript-eslint/no-unsafe-member-access': 'off',
  '@typescript-eslint/no-unsafe-return': 'off'
}

export default defineConfig(
  {
    ignores: ['node_modules/', '**/dist/', '**/data/', 'demo-data/', '.tmp/', '**/*.d.ts', 'node/src/*/*.js', '*/drizzle/']
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'bench/*.js'] }, tsconfigRootDir: import.meta.dirname }
    },
    plugins: { '@stylistic': stylistic },
    rules: {
      // Prettier breaks code lines; this catches the comments and strings it leaves long.
      '@stylistic/max-len': [
        'error',
        { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true }
      ],
      // With noUncheckedIndexedAccess every index read is optional; `!` marks one the line before has proven.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // hono's chained routes carry their paths in the type; handing them on as a plain Hono is the point.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // `const { secret: _, ...rest } = row` is how a field is left out.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, varsIgnorePattern: '^_', argsIgnorePattern: '^_' }],
      // Numbers, booleans and null print as themselves in messages and log lines.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }]
    }
  },
  {
    files: ['tests/**', 'bench/**'],
    rules: UNTYPED_JSON_RULES
  }
)

// ESLint flat config: typescript-eslint's recommended rules for every package.
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["**/dist/**", "packages/runner/bundle/**", "**/node_modules/**", "**/*.generated.ts", ".nx/**"] },
  ...tseslint.configs.recommended,
  // CommonJS files (the nx plugin is loaded with require by nx)
  { files: ["**/*.cjs"], rules: { "@typescript-eslint/no-require-imports": "off" } },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "off"
    }
  }
)

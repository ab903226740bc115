// Type-aware rules cost a full program per run; the recommended set plus tsc --noEmit is enough here.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "cdktf.out/", "python-workloads/", "docker/", "coverage/", ".gen/", "**/*.js", "**/*.mjs", "__tests__/delivery/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["__tests__/**/*.ts"],
    rules: {
      // Synthesized Terraform JSON is untyped; tests walk it as such.
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);

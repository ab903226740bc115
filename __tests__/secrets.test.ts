import { dev } from "../config/dev";
import { prod } from "../config/prod";
import { manifest } from "../config/manifest";
import { configWith, makeStack } from "./helpers";

/**
 * The W&B and SAI keys reach clusters only as `{{secrets/<scope>/<key>}}` references. Even with the
 * real values in the environment of the synthesizing process, none may appear in the output.
 */
describe("secrets", () => {
  const sentinels = { WANDB_API_KEY: "wandb-sentinel-6f1c2d9e", SAI_API_KEY: "sai-sentinel-8a7b3c4d" };
  const saved = { ...process.env };
  beforeAll(() => Object.assign(process.env, sentinels));
  afterAll(() => {
    process.env = saved;
  });

  it.each([
    ["dev", dev],
    ["prod", prod],
  ])("never puts a secret value into the %s stack, only scope references", (_name, overrides) => {
    const config = configWith({}, overrides);
    const { synthesized, json } = makeStack(config);
    for (const value of Object.values(sentinels)) expect(synthesized).not.toContain(value);
    expect(json.resource.databricks_secret).toBeUndefined();
    for (const secret of Object.values(manifest.secrets)) {
      expect(synthesized).toContain(`"${secret.env}": "{{secrets/${config.tracking.secretScope}/${secret.key}}}"`);
    }
    expect(synthesized).toMatch(/"databricks_secret_scope"/);
  });
});

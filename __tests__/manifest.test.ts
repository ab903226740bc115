import { readFileSync } from "node:fs";
import * as path from "node:path";
import { dev } from "../config/dev";
import { CLUSTER_KEYS } from "../constructs/training-job";
import { configWith, makeStack, onlyResource } from "./helpers";

/** Read from disk, not through the typed import, so the test checks the file the workloads read. */
const manifest = JSON.parse(
  readFileSync(path.join(__dirname, "..", "python-workloads", "src", "booster_workloads", "pipeline_manifest.json"), "utf8"),
);

describe("the job matches the pipeline manifest", () => {
  const config = configWith({ job: { ...configWith().job, parameterOverrides: {} } }, dev);
  const { json } = makeStack(config);
  const job = onlyResource(json, "databricks_job");

  it("has exactly the manifest's tasks, in order, each a python_wheel_task on its entry point", () => {
    expect(job.task.map((task: any) => task.task_key)).toEqual(manifest.tasks.map((task: any) => task.key));
    for (const [index, expected] of manifest.tasks.entries()) {
      const task = job.task[index];
      expect(task.python_wheel_task).toEqual({
        package_name: manifest.package.distribution,
        entry_point: expected.entry_point,
        named_parameters: Object.fromEntries(expected.parameters.map((name: string) => [name, `{{job.parameters.${name}}}`])),
      });
      expect(task.depends_on?.map((d: any) => d.task_key) ?? []).toEqual(expected.depends_on);
      expect(task.timeout_seconds).toBe(expected.timeout_seconds);
      expect(task.max_retries).toBe(expected.max_retries);
      expect(task.retry_on_timeout).toBe(expected.retry_on_timeout);
      expect(task.job_cluster_key).toBe(CLUSTER_KEYS[expected.compute as "cpu" | "gpu"]);
      expect(task.library).toEqual([
        { whl: expect.stringMatching(/\/wheels\/[0-9a-f]{16}\/booster_workloads-0\.1\.0-py3-none-any\.whl$/) },
      ]);
    }
  });

  it("declares exactly the manifest's job parameters with their defaults, except the stack's own names", () => {
    const parameters = Object.fromEntries(job.parameter.map((p: any) => [p.name, p.default]));
    const expected = Object.fromEntries(Object.entries(manifest.parameters).map(([name, p]: [string, any]) => [name, p.default]));
    expect(Object.keys(parameters).sort()).toEqual(Object.keys(expected).sort());
    expect(parameters).toEqual({
      ...expected,
      catalog: config.catalog.name,
      schema: config.catalog.schema,
      experiment: config.tracking.experimentPath,
    });
  });

  it("gives the GPU cluster the manifest's environment and both clusters the secret references", () => {
    const clusters = Object.fromEntries(job.job_cluster.map((c: any) => [c.job_cluster_key, c.new_cluster]));
    const secrets = Object.fromEntries(
      Object.values(manifest.secrets).map((s: any) => [s.env, `{{secrets/${config.tracking.secretScope}/${s.key}}}`]),
    );
    expect(clusters[CLUSTER_KEYS.gpu].spark_env_vars).toEqual({ ...manifest.gpu_environment, ...secrets });
    expect(clusters[CLUSTER_KEYS.cpu].spark_env_vars).toEqual(secrets);
  });

  it("creates the manifest's volumes and registered models", () => {
    const volumes = Object.values(json.resource.databricks_volume!).map((v: any) => v.name);
    expect(volumes.sort()).toEqual(Object.values(manifest.volumes).sort());
    const models = Object.values(json.resource.databricks_registered_model!).map((m: any) => m.name);
    expect(models.sort()).toEqual((Object.values(manifest.models) as string[]).sort());
  });

  it("names the wheel after the distribution in the manifest", () => {
    const files = Object.values(json.resource.databricks_file!) as any[];
    const distributionFile = manifest.package.distribution.replace(/-/g, "_");
    expect(files.some((file) => file.path.endsWith(`/${distributionFile}-0.1.0-py3-none-any.whl`))).toBe(true);
  });
});

import type { EnvironmentOverrides } from "./types";

/** Development: paused schedule, the interactive L4 cluster, fewer steps by default. */
export const dev: EnvironmentOverrides = {
  name: "dev",
  // Replace with your project and workspace.
  gcp: { projectId: "booster-soccer-dev", region: "us-central1", zone: "us-central1-a" },
  databricks: { workspaceHost: "https://1234567890123456.7.gcp.databricks.com" },
  image: { pullerMember: "serviceAccount:databricks-compute@booster-soccer-dev.iam.gserviceaccount.com" },
  job: {
    onFailureEmails: ["ml-platform@example.com"],
    schedule: { quartzCron: "0 0 2 * * ?", timezone: "UTC", paused: true },
    parameterOverrides: { pretrain_steps: "1000000", finetune_steps: "20000" },
  },
  devCluster: { enabled: true, userName: "developer@example.com" },
};

import { Cluster } from "@cdktf/provider-databricks/lib/cluster";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { RuntimeMode } from "../../config/types";
import { runtimeSoftware, SINGLE_NODE_SPARK_CONF, SINGLE_NODE_TAGS } from "../cluster-spec";

export interface DevClusterProps {
  readonly clusterName: string;
  /** The one user of this dedicated cluster. */
  readonly userName: string;
  /** @default "g2-standard-12" (one NVIDIA L4) */
  readonly nodeType?: string;
  /** @default 60 */
  readonly autoterminationMinutes?: number;
  readonly zone: string;
  /** @default "container" */
  readonly runtimeMode?: RuntimeMode;
  readonly standardSparkVersion: string;
  readonly mlGpuSparkVersion: string;
  /** Required in container mode. */
  readonly dockerImageUrl?: string;
  /** Required in ml-runtime mode. */
  readonly initScriptVolumePath?: string;
  /** Installed on start so notebooks import the same code as the job. @default - none */
  readonly wheelVolumePath?: string;
  /** Environment variables (XLA, MuJoCo, secret references). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default - the workspace default */
  readonly googleServiceAccount?: string;
  /** @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** What must exist before the cluster starts (the uploaded wheel). @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The interactive single-node L4 cluster for development: on demand (no preemption while someone
 * works), auto-terminating, with the same software as the job.
 */
export class DevCluster extends Construct {
  readonly cluster: Cluster;

  constructor(scope: Construct, id: string, props: DevClusterProps) {
    super(scope, id);
    const software = runtimeSoftware({
      mode: props.runtimeMode ?? "container",
      standardSparkVersion: props.standardSparkVersion,
      mlSparkVersion: props.mlGpuSparkVersion,
      dockerImageUrl: props.dockerImageUrl,
      initScriptVolumePath: props.initScriptVolumePath,
    });
    this.cluster = new Cluster(this, "Resource", {
      clusterName: props.clusterName,
      ...software,
      nodeTypeId: props.nodeType ?? "g2-standard-12",
      numWorkers: 0,
      autoterminationMinutes: props.autoterminationMinutes ?? 60,
      dataSecurityMode: "SINGLE_USER",
      singleUserName: props.userName,
      sparkConf: { ...software.sparkConf, ...SINGLE_NODE_SPARK_CONF },
      customTags: { ...(props.tags ?? {}), ...SINGLE_NODE_TAGS },
      sparkEnvVars: props.environment ? { ...props.environment } : undefined,
      gcpAttributes: { availability: "ON_DEMAND_GCP", zoneId: props.zone, googleServiceAccount: props.googleServiceAccount },
      library: props.wheelVolumePath ? [{ whl: props.wheelVolumePath }] : undefined,
      dependsOn: props.dependsOn,
    });
  }
}

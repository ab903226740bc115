import type { RuntimeMode } from "../config/types";

/** Spark settings a single-node cluster needs (num_workers 0 alone is not enough). */
export const SINGLE_NODE_SPARK_CONF: Readonly<Record<string, string>> = {
  "spark.databricks.cluster.profile": "singleNode",
  "spark.master": "local[*]",
};

/** The tag Databricks expects on single-node clusters. */
export const SINGLE_NODE_TAGS: Readonly<Record<string, string>> = { ResourceClass: "SingleNode" };

/** Lets a cluster that runs a custom image read and write Unity Catalog volumes. */
export const UC_VOLUMES_SPARK_CONF: Readonly<Record<string, string>> = {
  "spark.databricks.unityCatalog.volumes.enabled": "true",
};

export interface RuntimeSoftwareProps {
  readonly mode: RuntimeMode;
  /** Runtime key in container mode (a standard runtime; DCS does not support ML runtimes). */
  readonly standardSparkVersion: string;
  /** Runtime key in ml-runtime mode (GPU or CPU ML runtime, by node). */
  readonly mlSparkVersion: string;
  /** The image in container mode. */
  readonly dockerImageUrl?: string;
  /** Init script on a volume in ml-runtime mode. */
  readonly initScriptVolumePath?: string;
}

/** What a cluster's software looks like in either runtime mode. */
export interface RuntimeSoftware {
  readonly sparkVersion: string;
  readonly dockerImage?: { readonly url: string };
  readonly initScripts?: { readonly volumes: { readonly destination: string } }[];
  readonly sparkConf: Readonly<Record<string, string>>;
}

/**
 * Container mode: the standard runtime with the image (and volumes enabled for UC).
 * ML-runtime mode: the ML runtime with the init script that installs the pinned packages.
 */
export function runtimeSoftware(props: RuntimeSoftwareProps): RuntimeSoftware {
  if (props.mode === "container") {
    if (props.dockerImageUrl === undefined) throw new Error("container mode needs dockerImageUrl");
    return {
      sparkVersion: props.standardSparkVersion,
      dockerImage: { url: props.dockerImageUrl },
      sparkConf: { ...UC_VOLUMES_SPARK_CONF },
    };
  }
  if (props.initScriptVolumePath === undefined) throw new Error("ml-runtime mode needs initScriptVolumePath");
  return {
    sparkVersion: props.mlSparkVersion,
    initScripts: [{ volumes: { destination: props.initScriptVolumePath } }],
    sparkConf: {},
  };
}

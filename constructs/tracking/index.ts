import { MlflowExperiment } from "@cdktf/provider-databricks/lib/mlflow-experiment";
import { SecretAcl } from "@cdktf/provider-databricks/lib/secret-acl";
import { SecretScope } from "@cdktf/provider-databricks/lib/secret-scope";
import { Construct } from "constructs";

export interface TrackingProps {
  /** Workspace path of the MLflow experiment. */
  readonly experimentPath: string;
  readonly secretScopeName: string;
  /** Secret keys the workloads read, by the environment variable that receives them. */
  readonly secretKeys: Readonly<Record<string, string>>;
  /** Principal (service principal application id) that may read the scope. @default - none */
  readonly readerPrincipal?: string;
}

/**
 * The MLflow experiment and the secret scope for the W&B and SAI keys. Terraform creates the
 * scope only: the values are put in by hand (`databricks secrets put-secret`), so they never
 * appear in code, configuration, state or synthesized output.
 */
export class Tracking extends Construct {
  readonly experiment: MlflowExperiment;
  readonly secretScope: SecretScope;
  /** `{{secrets/<scope>/<key>}}` by environment variable, for cluster `spark_env_vars`. */
  readonly secretEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: TrackingProps) {
    super(scope, id);
    this.experiment = new MlflowExperiment(this, "Experiment", {
      name: props.experimentPath,
      description: "Runs of the Booster Soccer pipeline",
    });
    this.secretScope = new SecretScope(this, "SecretScope", { name: props.secretScopeName });
    if (props.readerPrincipal !== undefined) {
      new SecretAcl(this, "SecretReader", {
        scope: this.secretScope.name,
        principal: props.readerPrincipal,
        permission: "READ",
      });
    }
    this.secretEnvironment = Object.fromEntries(
      Object.entries(props.secretKeys).map(([variable, key]) => [variable, `{{secrets/${props.secretScopeName}/${key}}}`]),
    );
  }
}

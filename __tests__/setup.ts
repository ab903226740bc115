import { Testing } from "cdktf";
// Brings the matcher types (toHaveResourceWithProperties, ...) into the program.
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();

import { Testing } from "cdktf";
// Brings the matcher types (toHaveResourceWithProperties, ...) into the program.
import "cdktf/lib/testing/adapters/jest";
import * as stackTrace from "cdktf/lib/tokens/private/stack-trace";

Testing.setupJest();

// cdktf records a full stack trace for every token it creates, only to explain tokens that fail to
// resolve; under jest each trace is source-mapped, which dominates synth time in tests.
(stackTrace as { captureStackTrace: () => string[] }).captureStackTrace = () => [];

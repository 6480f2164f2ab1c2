// @leeds-care-record/client: the package's entry point. The helper layer (transport with a
// default deadline and read-only retries, bearer metadata, typed google.rpc error details),
// the platform version this build matches, Connect's createClient() and the service descriptors a caller passes to
// Connect's createClient(). Every generated module (messages, enums) is also importable on
// its own: "@leeds-care-record/client/gen/lcr/<area>/v1/<file>_pb".
export * from "./lcr.js";
// Connect's createClient(), re-exported so a caller uses the same copy of Connect as the transport.
export { createClient } from "@connectrpc/connect";
export { PLATFORM_VERSION } from "../gen/version.js";
export { AuditService } from "../gen/lcr/audit/v1/audit_pb.js";
export { ClinicalRecordService } from "../gen/lcr/clinical/v1/clinical_pb.js";
export { ConsentService } from "../gen/lcr/consent/v1/consent_pb.js";
export { DemographicsService } from "../gen/lcr/demographics/v1/demographics_pb.js";
export { GatewayService } from "../gen/lcr/gateway/v1/gateway_pb.js";
export { SubjectAccessService } from "../gen/lcr/gateway/v1/subject_access_pb.js";
export { IdentityService } from "../gen/lcr/identity/v1/identity_pb.js";
export { PurposeOfUse } from "../gen/lcr/common/v1/access_pb.js";
export { RecordCategory } from "../gen/lcr/common/v1/common_pb.js";

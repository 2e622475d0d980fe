/**
 * Request validation against Chatwoot's Application API description (spec/application_swagger.json, a
 * copy of chatwoot/chatwoot swagger/tag_groups/application_swagger.json; see its README), with the shared validator of
 * test/support/openapi.ts: path and method, path and query parameters, the `api_access_token` header of
 * `components.securitySchemes.userApiKey`, and JSON bodies. A multipart body is reported as such (the spec declares
 * only application/json for it): the fake checks it by hand, per the README.
 */
import path from 'node:path'
import { OpenApiValidator } from '../../support/openapi'

export const SPEC_FILE = path.join(__dirname, 'spec', 'application_swagger.json')

let spec: OpenApiValidator | undefined
/** Parsed once per test file. */
export const chatwootSpec = () => (spec ??= new OpenApiValidator(SPEC_FILE, { multipartByHand: true }))

/**
 * The Intercom 2.15 description (spec/api.intercom.io.2.15.prism.yaml) as a request validator for the Intercom test
 * double: every request it receives is checked against it (test/support/openapi.ts: path and method, parameters,
 * bearer authentication, the JSON body). The YAML is parsed once, then read from the validator's JSON cache.
 */
import path from 'node:path'
import { OpenApiValidator } from '../../support/openapi'

let intercom: OpenApiValidator | undefined
/** Parsed once per test file. Intercom's own format names (integers of Unix time) are accepted as their declared type. */
export const intercomSpec = () => (intercom ??= new OpenApiValidator(path.join(__dirname, 'spec', 'api.intercom.io.2.15.prism.yaml'), { formats: ['timestamp'] }))

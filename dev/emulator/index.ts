/**
 * In-memory Botpress runtime API emulator (dev/test only) and the driver that plays Botpress towards the integration.
 *
 *   const emulator = await startEmulator({ quiet: true })
 *   process.env.BP_API_URL = emulator.url   // @botpress/client calls `${BP_API_URL}/v1/chat/...`
 *   process.env.BP_TOKEN = emulator.token
 *   const driver = new IntegrationDriver({ emulator, handler: integration.handler, configuration })
 *   emulator.attach(driver)                  // serves POST ${emulator.url}/webhook/${driver.webhookId}/…
 */
export { startEmulator, Emulator, parseQuery } from './emulator'
export type { EmulatorOptions, RequestRecord, FailureOptions, WebhookTarget } from './emulator'
export { IntegrationDriver, IntegrationError } from './driver'
export type { DriverOptions, HttpResult, IntegrationHandler, IntegrationRequest, IntegrationResponse } from './driver'
export { Store, newId } from './store'
export { ApiError, ERROR_CODES } from './errors'
export { loadSpec } from './spec'

/**
 * The provider registry: the only place that lists providers. Adding one means a folder under
 * src/providers/<name>/ exporting a `defineProvider(...)`, one line here, and passing test/conformance.
 */
import http from './http'
import hubspot from './hubspot'
import intercom from './intercom'
import livechat from './livechat'
import chatwoot from './chatwoot'
import zendesk from './zendesk'
import freshchat from './freshchat'
import type { ProviderDefinition } from '../core/types'

export const providers = { http, intercom, livechat, hubspot, chatwoot, zendesk, freshchat } as const satisfies Record<string, ProviderDefinition>

export type ProviderName = keyof typeof providers
export const providerNames = Object.keys(providers) as [ProviderName, ...ProviderName[]]

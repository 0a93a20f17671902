import type { ServiceRegistry, Services } from './hub-context.js'

/** A typed map of the services plug-ins offer each other. */
export function createServiceRegistry(): ServiceRegistry {
  const services = new Map<keyof Services, unknown>()
  return {
    provide(name, service) {
      services.set(name, service)
    },
    get<K extends keyof Services>(name: K) {
      return services.get(name) as Services[K] | undefined
    },
  }
}

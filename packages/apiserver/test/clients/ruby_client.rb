# Drives the embedded API server with kubeclient (Debian ruby-kubeclient), which watches
# through the deprecated /watch/ path prefix.
#
# Usage: ruby_client.rb KUBECONFIG. Prints one JSON object of what the client saw; the node
# test (third-party-clients.test.ts) asserts on it.
require 'json'
require 'kubeclient'

NAMESPACE = 'default'.freeze

context = Kubeclient::Config.read(ARGV.fetch(0)).context
connect = lambda do |path, version|
  Kubeclient::Client.new(
    "#{context.api_endpoint}#{path}", version,
    ssl_options: context.ssl_options, auth_options: context.auth_options
  )
end
core = connect.call('/api', 'v1')
calico = connect.call('/apis/projectcalico.org', 'v3')

def service(name)
  Kubeclient::Resource.new(
    metadata: { name: name, namespace: NAMESPACE },
    spec: { type: 'LoadBalancer', ports: [{ port: 80 }] }
  )
end

# The exception class and HTTP status a block raises.
def failure
  yield
  { 'class' => nil }
rescue Kubeclient::HttpError => e
  { 'class' => e.class.name, 'status' => e.error_code }
end

def names_until(watcher, last_type)
  seen = []
  watcher.each do |notice|
    seen << [notice.type, notice.object.metadata.name]
    break if notice.type == last_type
  end
  seen
ensure
  watcher.finish
end

result = {}
listed = core.get_services(namespace: NAMESPACE)
result['listed'] = listed.map { |s| s.metadata.name }.sort
since = listed.resourceVersion

core.create_service(service('rb-web'))
core.patch_service('rb-web', { metadata: { labels: { patched: 'strategic' } } }, NAMESPACE)
merged = core.merge_patch_service('rb-web', { metadata: { annotations: { patched: 'merge' } } }, NAMESPACE)
result['patchedLabels'] = merged.metadata.labels.to_h
result['patchedAnnotations'] = merged.metadata.annotations.to_h
core.patch_entity('services', 'rb-web/status',
                  { status: { loadBalancer: { ingress: [{ ip: '192.0.2.20' }] } } },
                  'merge-patch', NAMESPACE)
status = core.get_entity('services', 'rb-web/status', NAMESPACE)
result['statusIngress'] = status.status.loadBalancer.ingress.map(&:ip)

core.delete_service('rb-web', NAMESPACE)

# Watches from the list's resourceVersion (this client sends no timeout): of the collection,
# and of one object by name.
result['watched'] = names_until(core.watch_services(namespace: NAMESPACE, resource_version: since), 'DELETED')
result['watchedByName'] = names_until(
  core.watch_services(namespace: NAMESPACE, name: 'rb-web', resource_version: since), 'DELETED'
)

result['notFound'] = failure { core.get_service('missing', NAMESPACE) }
core.create_service(service('rb-twice'))
result['conflict'] = failure { core.create_service(service('rb-twice')) }
result['invalid'] = failure { core.create_service(service('Not_A_Name')) }

pools = calico.get_ippools
pool_since = pools.resourceVersion
pool = { metadata: { name: 'rb-pool' }, spec: { cidr: '203.0.113.0/24', allowedUses: ['LoadBalancer'] } }
calico.create_ippool(Kubeclient::Resource.new(pool))
calico.merge_patch_ippool('rb-pool', { spec: { disabled: true } })
result['pools'] = calico.get_ippools.map { |p| p.metadata.name }
result['poolDisabled'] = calico.get_ippool('rb-pool').spec.disabled
result['poolWatched'] = names_until(calico.watch_ippools(resource_version: pool_since), 'MODIFIED')
result['poolInvalid'] = failure do
  calico.create_ippool(Kubeclient::Resource.new(metadata: { name: 'rb-bad' }, spec: { cidr: 'not-a-cidr' }))
end
result['poolNotFound'] = failure { calico.get_ippool('missing') }
puts JSON.generate(result)

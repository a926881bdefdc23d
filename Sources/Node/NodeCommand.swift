import ActorRuntime
@main struct NodeCommand { static func main() {} }

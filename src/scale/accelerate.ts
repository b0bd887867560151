// Accelerate launch configurations (multi-GPU DDP, DeepSpeed ZeRO-3, FSDP2) and the launch commands of an export.
// Plain objects written as YAML by export.ts; not a launcher: radpo never starts distributed jobs itself.

export type LaunchMode = 'ddp' | 'zero3' | 'fsdp';
export const LAUNCH_MODES: readonly LaunchMode[] = ['ddp', 'zero3', 'fsdp'];

export interface ClusterShape {
  numProcesses: number;   // GPUs in total over all machines
  numMachines: number;
  mixedPrecision: 'bf16' | 'fp16' | 'no';
}

/** accelerate 1.15 config for `mode` (keys as `accelerate config` writes them). */
export function accelerateConfig(mode: LaunchMode, shape: ClusterShape): Record<string, unknown> {
  const base: Record<string, unknown> = {
    compute_environment: 'LOCAL_MACHINE',
    debug: false,
    downcast_bf16: 'no',
    machine_rank: 0,
    main_training_function: 'main',
    mixed_precision: shape.mixedPrecision,
    num_machines: shape.numMachines,
    num_processes: shape.numProcesses,
    rdzv_backend: 'static',
    same_network: true,
    tpu_env: [],
    tpu_use_cluster: false,
    tpu_use_sudo: false,
    use_cpu: false,
  };
  switch (mode) {
    case 'ddp':
      return { ...base, distributed_type: 'MULTI_GPU', gpu_ids: 'all' };
    case 'zero3':
      return {
        ...base,
        distributed_type: 'DEEPSPEED',
        deepspeed_config: {
          deepspeed_multinode_launcher: 'standard',
          offload_optimizer_device: 'none',
          offload_param_device: 'none',
          zero3_init_flag: true,
          zero3_save_16bit_model: true,
          zero_stage: 3,
        },
      };
    case 'fsdp':
      return {
        ...base,
        distributed_type: 'FSDP',
        enable_cpu_affinity: false,
        fsdp_config: {
          fsdp_activation_checkpointing: false,
          fsdp_auto_wrap_policy: 'TRANSFORMER_BASED_WRAP',
          fsdp_cpu_ram_efficient_loading: true,
          fsdp_offload_params: false,
          fsdp_reshard_after_forward: true,
          fsdp_state_dict_type: 'FULL_STATE_DICT',
          fsdp_version: 2,
        },
      };
  }
}

/** The command that runs the exported job in `mode`, from inside the export folder. */
export function launchCommand(mode: LaunchMode | 'single', shape: ClusterShape): string {
  if (mode === 'single') return 'python train.py --config trl_config.yaml';
  const multiNode = shape.numMachines > 1
    ? ' --machine_rank $MACHINE_RANK --main_process_ip $MAIN_PROCESS_IP --main_process_port ${MAIN_PROCESS_PORT:-29500}'
    : '';
  return `accelerate launch --config_file accelerate/${mode}.yaml${multiNode} train.py --config trl_config.yaml`;
}
